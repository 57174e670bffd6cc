from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.gfs.forecast.region_job import S3_BASE_URL, GfsSourceFileCoord, NoaaGfsForecastRegionJob
from datasets.noaa.gfs.forecast.template_config import GfsDataVar, NoaaGfsForecastTemplateConfig


def noaa_gfs_forecast() -> DynamicalDataset[GfsDataVar, GfsSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaGfsForecastTemplateConfig(),
        region_job_class=NoaaGfsForecastRegionJob,
        # f384 lands about 5 h 35 min after the init time; validation follows 10 minutes after the update.
        operational=OperationalConfig(
            update_schedule="38 5,11,17,23 * * *",
            validate_schedule="48 5,11,17,23 * * *",
            update_workers=2,
            update_deadline_seconds=10 * 60,
            cpu="3.5",
            memory="7G",
            shared_memory="1.5G",
            ephemeral_storage="20G",
        ),
        source_base_url=S3_BASE_URL,
        # Validation runs 5 h 48 min after each init time: that init must be published by then. One missing lead
        # time is ~0.5% of a forecast; rare deaccumulation rejects stay far below 0.1%. Every variable comes from
        # the same files, so one variable finds missing files (one spatial chunk per init and lead-time chunk over
        # the whole history).
        validation=scheduled_validators(timedelta("5h48min"), hole_variables=("temperature_2m",)),
    )
