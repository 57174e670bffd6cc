"""The HRRR analysis: an hourly time series from the hourly HRRR runs — instant values from each run's lead 0 h
(`wrfsfcf00`), accumulations from lead 1 h of the run an hour earlier (`wrfsfcf01`)."""

from typing import ClassVar

import pandas as pd

from datasets.common.timestamps import timedelta
from datasets.noaa.hrrr.forecast_48_hour.region_job import HrrrSourceFileCoord, NoaaHrrrForecast48HourRegionJob
from datasets.noaa.noaa_analysis_region_job import AnalysisTimeMixin, NoaaAnalysisRegionJob
from datasets.noaa.noaa_region_job import NoaaSourceFileCoord


class HrrrAnalysisSourceFileCoord(AnalysisTimeMixin, HrrrSourceFileCoord):
    pass


class NoaaHrrrAnalysisRegionJob(NoaaAnalysisRegionJob[HrrrSourceFileCoord], NoaaHrrrForecast48HourRegionJob):
    source_file_coord_class: ClassVar[type[NoaaSourceFileCoord]] = HrrrAnalysisSourceFileCoord
    run_interval: ClassVar[pd.Timedelta] = timedelta("1h")
    # A whole region is 2160 x 1059 x 1799 values (16 GB a variable): process it in blocks of whole shards.
    block_dims: ClassVar[tuple[str, ...]] = ("y", "x")
    memory_budget_bytes: ClassVar[int | None] = 12 * 2**30
