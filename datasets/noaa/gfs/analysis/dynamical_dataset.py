from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.gfs.analysis.region_job import NoaaGfsAnalysisRegionJob
from datasets.noaa.gfs.analysis.template_config import NoaaGfsAnalysisTemplateConfig
from datasets.noaa.gfs.forecast.region_job import GfsSourceFileCoord
from datasets.noaa.noaa_region_job import NoaaDataVar


def noaa_gfs_analysis() -> DynamicalDataset[NoaaDataVar, GfsSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaGfsAnalysisTemplateConfig(),
        region_job_class=NoaaGfsAnalysisRegionJob,
        # Validation runs at hh:15, 4 h 15 min after an init: the update before it published up to hh-1:00. A
        # missing source file empties a whole hour; deaccumulation rejects stay far below 0.1%. Instant and windowed
        # variables come from different files at 00/06/12/18; the windowed one keeps its value at the first time
        # (deaccumulated ones have none there).
        validation=scheduled_validators(
            timedelta("1h15min"), nan_window=6, hole_variables=("temperature_2m", "maximum_temperature_2m")
        ),
    )
