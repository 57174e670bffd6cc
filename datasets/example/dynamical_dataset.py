"""Brings the pieces together: template, region job, how it runs, where the source is and what validation checks."""

from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.example.region_job import ExampleRegionJob, ExampleSourceFileCoord
from datasets.example.template_config import ExampleDataVar, ExampleTemplateConfig


def example_gfs_coarse_forecast() -> DynamicalDataset[ExampleDataVar, ExampleSourceFileCoord]:
    return DynamicalDataset(
        template_config=ExampleTemplateConfig(),
        region_job_class=ExampleRegionJob,
        # Cron (UTC): update once the source's last file of an init lands; validate after the update's deadline.
        operational=OperationalConfig(
            update_schedule="30 5,11,17,23 * * *",
            validate_schedule="45 5,11,17,23 * * *",
            update_workers=1,
            update_deadline_seconds=600,
            # Resources of one pod.
            cpu="1",
            memory="2G",
            ephemeral_storage="2G",
        ),
        # The archive root the relative paths hang from. Any mirror with the same relative paths works:
        # `--source-url` / REFORMAT_SOURCE_URL replace it with an http(s)://, s3:// or local folder URL.
        source_base_url="https://noaa-gfs-bdp-pds.s3.amazonaws.com",
        # What `main example-gfs-coarse-forecast validate` checks after each update (datasets/common/validation/):
        # the init time due 5 h 45 min before validation is published; the newest two inits hold no NaN where data is
        # expected (lead 0 of windowed fields is not); every shard that should hold data is stored; no position of any
        # variable is missing data; each replica (REFORMAT_REPLICA_URLS) matches the primary.
        validation=scheduled_validators(timedelta("5h45min"), max_nan_fraction=0.0, hole_variables=()),
        # NOAA's bucket has no 2.5 degree files (the tests serve a generated archive), so the cluster must not run
        # it: `main render-argo` writes no manifests for it. A dataset that reads its real archive leaves this out.
        deployable=False,
    )
