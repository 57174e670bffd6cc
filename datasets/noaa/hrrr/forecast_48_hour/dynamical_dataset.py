from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.hrrr.forecast_48_hour.region_job import (
    HrrrSourceFileCoord,
    NoaaHrrrForecast48HourRegionJob,
)
from datasets.noaa.hrrr.forecast_48_hour.template_config import HrrrDataVar, NoaaHrrrForecast48HourTemplateConfig


def noaa_hrrr_forecast_48_hour() -> DynamicalDataset[HrrrDataVar, HrrrSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaHrrrForecast48HourTemplateConfig(),
        region_job_class=NoaaHrrrForecast48HourRegionJob,
        # Validation runs 2 h 40 min after each init time: that init must be published by then. One missing lead
        # time is 2% of a forecast. Every variable comes from the same files, so one variable finds missing files.
        validation=scheduled_validators(timedelta("2h40min"), hole_variables=("temperature_2m",)),
    )
