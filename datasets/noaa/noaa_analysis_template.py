from collections.abc import Mapping, Sequence

from datasets.common.config_models import DataVar
from datasets.common.sources.noaa_idx import WindowKind
from datasets.noaa.noaa_variables import NoaaInternalAttrs

type NoaaAnalysisDataVar = DataVar[NoaaInternalAttrs]


def analysis_data_vars(
    forecast_vars: Sequence[DataVar[NoaaInternalAttrs]],
    forecast_window_comments: Mapping[WindowKind, str],
    analysis_window_comments: Mapping[WindowKind | None, str],
    chunks: tuple[int, ...],
    shards: tuple[int, ...],
) -> tuple[NoaaAnalysisDataVar, ...]:
    """A forecast's variables as an hourly time series: time-series encoding, and each windowed variable's window
    comment replaced by what it means along time (`analysis_window_comments[None]` for categorical flags, which
    keep the published window). Window averages become averages over the hour before each time."""

    def analysis_var(forecast_var: DataVar[NoaaInternalAttrs]) -> NoaaAnalysisDataVar:
        attrs = forecast_var.internal_attrs
        kind = attrs.window_kind
        comment = forecast_var.attrs.comment
        deaverage = False
        if kind is not None:
            base = (comment or "").removesuffix(forecast_window_comments.get(kind, "")).strip()
            flags = forecast_var.attrs.flag_values is not None
            deaverage = kind == "ave" and not flags
            comment = " ".join(c for c in (base, analysis_window_comments[None if flags else kind]) if c)
        return DataVar(
            name=forecast_var.name,
            encoding=forecast_var.encoding.model_copy(update={"chunks": chunks, "shards": shards}),
            attrs=forecast_var.attrs.model_copy(update={"comment": comment}),
            internal_attrs=NoaaInternalAttrs.model_validate(attrs.model_dump() | {"deaverage": deaverage}),
        )

    return tuple(analysis_var(v) for v in forecast_vars)
