"""Brings the pieces together: template, region job, source location and operations."""

from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.example.region_job import ExampleRegionJob, ExampleSourceFileCoord
from datasets.example.template_config import ExampleDataVar, ExampleTemplateConfig

EXAMPLE_DATASET: DynamicalDataset[ExampleDataVar, ExampleSourceFileCoord] = DynamicalDataset(
    template_config=ExampleTemplateConfig(),
    region_job_class=ExampleRegionJob,
    operational=OperationalConfig(
        # Cron (UTC) for the operational update and, after it is due to finish, its validation.
        update_schedule="30 5,11,17,23 * * *",
        validate_schedule="45 5,11,17,23 * * *",
        update_workers=1,
        # Resources of one pod.
        cpu="1",
        memory="2G",
        ephemeral_storage="2G",
        update_deadline_seconds=600,
    ),
    # The archive root the relative paths hang from. Any mirror with the same relative paths works:
    # `--source-url` / REFORMAT_SOURCE_URL override it with an http(s)://, s3:// or local folder URL.
    # (NOAA's bucket has no 2.5 degree files; the tests point this at a generated archive.)
    source_base_url="https://noaa-gfs-bdp-pds.s3.amazonaws.com",
    # What `main example-gfs-coarse-forecast validate` checks (the validate CronWorkflow runs it after each
    # update; leave `validation` out to get the defaults: recent NaNs, expected shards, replicas). Here: the init
    # time due 5 h 45 min ago (when validation runs) is published; the newest two inits hold no NaN where data is
    # expected (lead 0 of windowed fields is not); every shard that should hold data is stored; no position of any
    # variable is missing data; each replica (REFORMAT_REPLICA_URLS) matches the primary.
    validation=scheduled_validators(timedelta("5h45min"), max_nan_fraction=0.0, hole_variables=()),
)
