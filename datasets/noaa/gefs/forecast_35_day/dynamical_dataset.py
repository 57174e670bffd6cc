from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig
from datasets.noaa.gefs.forecast_35_day.region_job import (
    S3_BASE_URL,
    GefsSourceFileCoord,
    NoaaGefsForecast35DayRegionJob,
)
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar, NoaaGefsForecast35DayTemplateConfig


def noaa_gefs_forecast_35_day() -> DynamicalDataset[GefsDataVar, GefsSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaGefsForecast35DayTemplateConfig(),
        region_job_class=NoaaGefsForecast35DayRegionJob,
        # The 00 UTC run, extended range included, is out about 7 hours after its init time. One worker per
        # source group (9 groups of 3 variables); each holds one 14 GiB block of shards at a time.
        operational=OperationalConfig(
            update_schedule="0 7 * * *",
            validate_schedule="15 9 * * *",
            update_workers=9,
            update_deadline_seconds=2 * 60 * 60,
            cpu="4",
            memory="20G",
            ephemeral_storage="40G",
        ),
        source_base_url=S3_BASE_URL,
    )
