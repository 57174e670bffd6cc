from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.gfs.forecast.region_job import GfsSourceFileCoord, NoaaGfsForecastRegionJob
from datasets.noaa.gfs.forecast.template_config import GfsDataVar, NoaaGfsForecastTemplateConfig


def noaa_gfs_forecast() -> DynamicalDataset[GfsDataVar, GfsSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaGfsForecastTemplateConfig(),
        region_job_class=NoaaGfsForecastRegionJob,
        # Validation runs 5 h 48 min after each init time: that init must be published by then. One missing lead
        # time is ~0.5% of a forecast; rare deaccumulation rejects stay far below 0.1%. Every variable comes from
        # the same files, so one variable finds missing files (one spatial chunk per init and lead-time chunk over
        # the whole history).
        validation=scheduled_validators(timedelta("5h48min"), hole_variables=("temperature_2m",)),
    )
