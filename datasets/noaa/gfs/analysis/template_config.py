from collections.abc import Sequence

import pandas as pd

from datasets.common.forecast_coordinates import GlobalQuarterDegreeGrid
from datasets.common.sources.noaa_idx import WindowKind
from datasets.common.template_layouts import AnalysisTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, WINDOW_COMMENT
from datasets.noaa.noaa_analysis_template import NoaaAnalysisDataVar, analysis_data_vars

CHUNKS = (1440, 50, 50)
SHARDS = (1440, 400, 400)

type GfsAnalysisDataVar = NoaaAnalysisDataVar

ANALYSIS_WINDOW_COMMENT: dict[WindowKind | None, str] = {
    "acc": "Average rate over the hour before the time, deaccumulated from the 1-6 hour accumulations of the "
    "run initialized before it. No value at the first time of the dataset.",
    "ave": "Average over the hour before the time, derived from the 1-6 hour window averages of the run "
    "initialized before it. No value at the first time of the dataset.",
    "max": "Maximum over the window from the run initialized before the time up to the time (1-6 hours).",
    "min": "Minimum over the window from the run initialized before the time up to the time (1-6 hours).",
    None: "The window runs from the initialization before the time up to the time (1-6 hours).",
}

GFS_ANALYSIS_DATA_VARS = analysis_data_vars(GFS_DATA_VARS, WINDOW_COMMENT, ANALYSIS_WINDOW_COMMENT, CHUNKS, SHARDS)


class NoaaGfsAnalysisTemplateConfig(GlobalQuarterDegreeGrid, AnalysisTemplateConfig[GfsAnalysisDataVar]):
    append_dim_start: pd.Timestamp = timestamp("2021-05-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("1h")
    time_comment: str | None = (
        "Instant values come from the run initialized at or before the time (lead 0-5 h); "
        "windowed values from the run initialized before it (lead 1-6 h)."
    )

    @property
    def data_vars(self) -> Sequence[GfsAnalysisDataVar]:
        return GFS_ANALYSIS_DATA_VARS
