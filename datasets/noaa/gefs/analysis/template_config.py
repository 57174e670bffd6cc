"""The GEFS analysis: a 3-hourly time series of the control member (c00) read from the first hours of GEFS runs.

Source eras (see docs/datasets/noaa-gefs-analysis.md): the GEFSv12 reforecast for times up to 2020-01-01T00, the
pre-v12 archive (1.0 degree, 6-hourly leads) for runs from 2020-01-01T00 to 2020-09-23T06, the operational archive
for runs from 2020-09-23T12."""

from collections.abc import Sequence

import pandas as pd

from datasets.common.forecast_coordinates import GlobalQuarterDegreeGrid
from datasets.common.sources.noaa_idx import WindowKind
from datasets.common.template_layouts import AnalysisTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gefs.forecast_35_day.template_config import EXTRA_GFS_STYLE_VARS, GefsDataVar, gefs_data_var
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, WINDOW_COMMENT
from datasets.noaa.noaa_analysis_template import analysis_data_vars

# 180 days of 3-hourly times by 32 x 32 points per chunk; shards of 2 x 12 x 12 chunks (as the anchor).
CHUNKS = (180 * 8, 32, 32)
SHARDS = (2 * 180 * 8, 32 * 12, 32 * 12)

REFORECAST_END = timestamp("2020-01-01T00:00")  # first init time the GEFSv12 reforecast lacks
OPERATIONAL_START = timestamp("2020-09-23T12:00")  # first init time of the current (atmos/) archive layout
PRE_V12_STEP = timedelta("6h")  # lead times of the pre-v12 files in between

ANALYSIS_WINDOW_COMMENT: dict[WindowKind | None, str] = {
    "acc": "Average rate over the 3 hours before the time, deaccumulated from the 6-hourly accumulation windows "
    "of the run that covers it.",
    "ave": "Average over the 3 hours before the time, derived from the 6-hourly averaging windows of the run "
    "that covers it.",
    "max": "Maximum over the window from the previous 6-hourly reset (00, 06, 12, 18 UTC) up to the time.",
    "min": "Minimum over the window from the previous 6-hourly reset (00, 06, 12, 18 UTC) up to the time.",
    None: "The window runs from the previous 6-hourly reset (00, 06, 12, 18 UTC) up to the time.",
}
PRE_V12_SOURCE = " From 2020-01-01T03 to 2020-09-23T09 bilinearly interpolated from 1.0 degree pre-v12 files."
SOURCE_COMMENT = {
    True: "From 0.25 degree files (reforecast variables published at 0.5 degrees are bilinearly interpolated)."
    + PRE_V12_SOURCE,
    False: "Bilinearly interpolated from 0.5 degree files (points on both grids keep the source value)."
    + PRE_V12_SOURCE,
}

GEFS_ANALYSIS_DATA_VARS: tuple[GefsDataVar, ...] = tuple(
    gefs_data_var(v, CHUNKS, SHARDS, SOURCE_COMMENT)
    for v in analysis_data_vars(
        (*GFS_DATA_VARS, *EXTRA_GFS_STYLE_VARS), WINDOW_COMMENT, ANALYSIS_WINDOW_COMMENT, CHUNKS, SHARDS
    )
)


class NoaaGefsAnalysisTemplateConfig(GlobalQuarterDegreeGrid, AnalysisTemplateConfig[GefsDataVar]):
    append_dim_start: pd.Timestamp = timestamp("2000-01-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("3h")
    time_comment: str | None = (
        "Control member (c00). Up to 2020-01-01T00 from the GEFSv12 reforecast: leads 3-24 h of the 00 UTC run of "
        "the day before the time's hour (times at 00 UTC from lead 24 h). Later from the 6-hourly runs: instant "
        "values from lead 0 or 3 h of the run at or before the time, windowed values from lead 3 or 6 h of the run "
        "before it. Runs from 2020-01-01T00 to 2020-09-23T06 are pre-v12 (1.0 degree, 6-hourly leads): times at "
        "00, 06, 12 and 18 UTC are read (windowed values over the 6 hours before), the times between are linearly "
        "interpolated in time (categorical flags are not: NaN). No values at 2000-01-01T00."
    )

    @property
    def data_vars(self) -> Sequence[GefsDataVar]:
        return GEFS_ANALYSIS_DATA_VARS
