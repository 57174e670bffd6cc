from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.hrrr.analysis.region_job import NoaaHrrrAnalysisRegionJob
from datasets.noaa.hrrr.analysis.template_config import NoaaHrrrAnalysisTemplateConfig
from datasets.noaa.hrrr.forecast_48_hour.region_job import HrrrSourceFileCoord
from datasets.noaa.noaa_region_job import NoaaDataVar


def noaa_hrrr_analysis() -> DynamicalDataset[NoaaDataVar, HrrrSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaHrrrAnalysisTemplateConfig(),
        region_job_class=NoaaHrrrAnalysisRegionJob,
        # Validation runs after each update's deadline: the hour due 2 h before it must be published. One missing
        # hour is 1/6 of the NaN window, which covers instant and accumulated values (from different files). Holes
        # are checked in temperature_2m: accumulations have no value at the dataset's first time.
        validation=scheduled_validators(timedelta("2h"), nan_window=6, hole_variables=("temperature_2m",)),
    )
