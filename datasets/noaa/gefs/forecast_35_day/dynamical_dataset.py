from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.gefs.forecast_35_day.region_job import NoaaGefsForecast35DayRegionJob
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar, NoaaGefsForecast35DayTemplateConfig
from datasets.noaa.gefs.gefs_source import GefsSourceFileCoord


def noaa_gefs_forecast_35_day() -> DynamicalDataset[GefsDataVar, GefsSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaGefsForecast35DayTemplateConfig(),
        region_job_class=NoaaGefsForecast35DayRegionJob,
        # Validation runs 9 h 15 min after each 00 UTC init (after the update's deadline): it must be published.
        # One missing lead time of one member is ~0.02% of a forecast; a whole missing lead ~0.6%. One variable per
        # file family finds missing files: `s` then `a` for temperature, `b` for 100 m wind.
        validation=scheduled_validators(timedelta("9h15min"), hole_variables=("temperature_2m", "wind_u_100m")),
    )
