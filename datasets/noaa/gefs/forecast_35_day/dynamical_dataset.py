from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig, scheduled_validators
from datasets.common.timestamps import timedelta
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
        # source group (9 groups of 3 variables); each holds at most 12 GiB of blocks (memory_budget_bytes).
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
        # Validation runs 9 h 15 min after each 00 UTC init (after the update's deadline): it must be published.
        # One missing lead time of one member is ~0.02% of a forecast; a whole missing lead ~0.6%. One variable per
        # file family finds missing files: `s` then `a` for temperature, `b` for 100 m wind.
        validation=scheduled_validators(timedelta("9h15min"), hole_variables=("temperature_2m", "wind_u_100m")),
    )
