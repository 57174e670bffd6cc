from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.noaa.gefs.analysis.region_job import NoaaGefsAnalysisRegionJob
from datasets.noaa.gefs.analysis.template_config import NoaaGefsAnalysisTemplateConfig
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar
from datasets.noaa.noaa_region_job import NoaaSourceFileCoord


def noaa_gefs_analysis() -> DynamicalDataset[GefsDataVar, NoaaSourceFileCoord]:
    return DynamicalDataset(
        template_config=NoaaGefsAnalysisTemplateConfig(),
        region_job_class=NoaaGefsAnalysisRegionJob,
        # Validation runs at hh:21, 4 h 21 min after an init; the update before it published the init's lead 0
        # (and 3 h once out), so the init time is due. One missing file empties one time of one variable; the NaN
        # window of 4 times (12 h) covers instant and windowed values, read from different runs. No hole check: some
        # positions have no values by design (the first time, flags between pre-v12 leads, variables a layout lacks).
        validation=scheduled_validators(timedelta("4h21min"), nan_window=4),
    )
