"""The GFS analysis: an hourly time series read from the first hours of each 6-hourly GFS run (instant values
from lead 0-5 h, windowed ones from lead 1-6 h of the run before; see datasets/noaa/noaa_analysis_region_job.py)."""

from typing import ClassVar

import pandas as pd

from datasets.common.timestamps import timedelta
from datasets.noaa.gfs.forecast.region_job import GfsSourceFileCoord, NoaaGfsForecastRegionJob
from datasets.noaa.noaa_analysis_region_job import AnalysisTimeMixin, NoaaAnalysisRegionJob
from datasets.noaa.noaa_region_job import NoaaSourceFileCoord


class GfsAnalysisSourceFileCoord(AnalysisTimeMixin, GfsSourceFileCoord):
    pass


class NoaaGfsAnalysisRegionJob(NoaaAnalysisRegionJob[GfsSourceFileCoord], NoaaGfsForecastRegionJob):
    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = GfsAnalysisSourceFileCoord
    run_interval: ClassVar[pd.Timedelta] = timedelta("6h")
