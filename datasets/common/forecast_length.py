from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.results import VariableResult
from datasets.common.timestamps import timestamp

INGESTED_FORECAST_LENGTH = "ingested_forecast_length"


def with_ingested_forecast_length(ds: xr.Dataset, results: Mapping[str, VariableResult], append_dim: str) -> xr.Dataset:
    """Record, per append-dim position, the longest lead time any variable really wrote.

    Positions no result covers keep their value (missing before ingestion); encoding and attrs are kept.
    """
    longest: dict[pd.Timestamp, int] = {}
    for result in results.values():
        for position, maxima in result.coverage.items():
            if "lead_time" in maxima:
                key = timestamp(position)
                longest[key] = max(longest.get(key, 0), int(maxima["lead_time"]))
    ingested = ds[INGESTED_FORECAST_LENGTH].variable.copy(deep=True)
    positions = pd.DatetimeIndex(ds[append_dim].values)
    for position, seconds in longest.items():
        if position in positions:
            ingested.values[positions.get_loc(position)] = np.timedelta64(seconds, "s")
    return ds.assign_coords({INGESTED_FORECAST_LENGTH: ingested})
