from collections.abc import Sequence

import pandas as pd

from datasets.common.config_models import DataVar
from datasets.common.forecast_coordinates import GlobalQuarterDegreeGrid
from datasets.common.template_layouts import AnalysisTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, WINDOW_COMMENT, GfsDataVar
from datasets.noaa.noaa_variables import NoaaInternalAttrs

CHUNKS = (1440, 50, 50)
SHARDS = (1440, 400, 400)

type GfsAnalysisDataVar = DataVar[NoaaInternalAttrs]

ANALYSIS_WINDOW_COMMENT = {
    "acc": "Average rate over the hour before the time, deaccumulated from the 1-6 hour accumulations of the "
    "run initialized before it. No value at the first time of the dataset.",
    "ave": "Average over the hour before the time, derived from the 1-6 hour window averages of the run "
    "initialized before it. No value at the first time of the dataset.",
    "max": "Maximum over the window from the run initialized before the time up to the time (1-6 hours).",
    "min": "Minimum over the window from the run initialized before the time up to the time (1-6 hours).",
}
FLAG_WINDOW_COMMENT = "The window runs from the initialization before the time up to the time (1-6 hours)."


def analysis_data_var(forecast_var: GfsDataVar) -> GfsAnalysisDataVar:
    """A GFS forecast variable as an hourly time series: analysis encoding and time-series window semantics."""
    attrs = forecast_var.internal_attrs
    kind = attrs.window_kind
    comment = forecast_var.attrs.comment
    deaverage = False
    if kind is not None:
        base = (comment or "").removesuffix(WINDOW_COMMENT[kind]).strip()
        flags = forecast_var.attrs.flag_values is not None
        # window averages become averages over the hour before each time
        deaverage = kind == "ave" and not flags
        comment = " ".join(c for c in (base, FLAG_WINDOW_COMMENT if flags else ANALYSIS_WINDOW_COMMENT[kind]) if c)
    return DataVar(
        name=forecast_var.name,
        encoding=forecast_var.encoding.model_copy(update={"chunks": CHUNKS, "shards": SHARDS}),
        attrs=forecast_var.attrs.model_copy(update={"comment": comment}),
        internal_attrs=NoaaInternalAttrs.model_validate(attrs.model_dump() | {"deaverage": deaverage}),
    )


GFS_ANALYSIS_DATA_VARS: tuple[GfsAnalysisDataVar, ...] = tuple(analysis_data_var(v) for v in GFS_DATA_VARS)


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
