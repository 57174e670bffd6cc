from datasets.common.dynamical_dataset import DynamicalDataset, OperationalConfig, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.hrrr.forecast_48_hour.region_job import (
    S3_BASE_URL,
    HrrrSourceFileCoord,
    NoaaHrrrForecast48HourRegionJob,
)
from datasets.noaa.hrrr.forecast_48_hour.template_config import HrrrDataVar, NoaaHrrrForecast48HourTemplateConfig


def noaa_hrrr_forecast_48_hour() -> DynamicalDataset[HrrrDataVar, HrrrSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaHrrrForecast48HourTemplateConfig(),
        region_job_class=NoaaHrrrForecast48HourRegionJob,
        # The 48-hour runs (00/06/12/18) finish about 2 h after their init time; one job per init.
        operational=OperationalConfig(
            update_schedule="15 2,8,14,20 * * *",
            validate_schedule="40 2,8,14,20 * * *",
            update_workers=1,
            update_deadline_seconds=20 * 60,
            cpu="3.5",
            memory="10G",
            ephemeral_storage="20G",
        ),
        source_base_url=S3_BASE_URL,
        # Validation runs 2 h 40 min after each init time: that init must be published by then. One missing lead
        # time is 2% of a forecast. Every variable comes from the same files, so one variable finds missing files.
        validation=scheduled_validators(timedelta("2h40min"), hole_variables=("temperature_2m",)),
    )
