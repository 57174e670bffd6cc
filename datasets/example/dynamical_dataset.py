"""Brings the pieces together: template, region job and what validation checks. How it runs (schedules, pod
resources) is the `[operational]` table of dataset.toml; where the source is, the region job's `default_source_url`."""

from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.example.region_job import ExampleRegionJob, ExampleSourceFileCoord
from datasets.example.template_config import ExampleDataVar, ExampleTemplateConfig


def example_gfs_coarse_forecast() -> DynamicalDataset[ExampleDataVar, ExampleSourceFileCoord]:
    return DynamicalDataset(
        template_config=ExampleTemplateConfig(),
        region_job_class=ExampleRegionJob,
        # What `main example-gfs-coarse-forecast validate` checks after each update (datasets/common/validation/):
        # the init time due 5 h 45 min before validation is published; the newest two inits hold no NaN where data is
        # expected (lead 0 of windowed fields is not); every shard that should hold data is stored; no position of any
        # variable is missing data; each replica (REFORMAT_REPLICA_URLS) matches the primary.
        validation=scheduled_validators(timedelta("5h45min"), max_nan_fraction=0.0, hole_variables=()),
        # NOAA's bucket has no 2.5 degree files (the tests serve a generated archive), so the cluster must not run
        # it: `main render-argo` writes no manifests for it. A dataset that reads its real archive leaves this out.
        deployable=False,
    )
