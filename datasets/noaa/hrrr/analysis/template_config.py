from collections.abc import Sequence

import pandas as pd

from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.sources.noaa_idx import WindowKind
from datasets.common.template_layouts import AnalysisTemplateConfig, LambertConformalGridTemplate
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.hrrr.forecast_48_hour.template_config import HRRR_DATA_VARS, HRRR_GRID, RATE_COMMENT
from datasets.noaa.noaa_analysis_template import NoaaAnalysisDataVar, analysis_data_vars

# 90 days of hours by 45 x 45 points (135 km) per chunk; shards of 10 x 12 chunks (4 x 2 shards over the grid).
CHUNKS = (90 * 24, 45, 45)
SHARDS = (90 * 24, 45 * 12, 45 * 10)

ANALYSIS_WINDOW_COMMENT: dict[WindowKind | None, str] = {
    "acc": "Average rate over the hour before the time: the 0-1 hour accumulation of the run initialized an hour "
    "before it. No value at the first time of the dataset.",
}

HRRR_ANALYSIS_DATA_VARS = analysis_data_vars(
    HRRR_DATA_VARS, {"acc": RATE_COMMENT}, ANALYSIS_WINDOW_COMMENT, CHUNKS, SHARDS
)


class NoaaHrrrAnalysisTemplateConfig(
    AnalysisTemplateConfig[NoaaAnalysisDataVar], LambertConformalGridTemplate[NoaaAnalysisDataVar]
):
    dims: tuple[str, ...] = ("time", "y", "x")
    # HRRR v3, as noaa-hrrr-forecast-48-hour: older files hold other fields and packing.
    append_dim_start: pd.Timestamp = timestamp("2018-07-13T12:00")
    append_dim_frequency: pd.Timedelta = timedelta("1h")
    grid: LambertConformalGrid = HRRR_GRID
    time_comment: str | None = (
        "Instant values come from the analysis (lead 0) of the hourly run initialized at the time; accumulated "
        "values from lead 1 h of the run initialized an hour before it."
    )

    @property
    def data_vars(self) -> Sequence[NoaaAnalysisDataVar]:
        return HRRR_ANALYSIS_DATA_VARS
