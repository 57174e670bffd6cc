import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.forecast_length import with_ingested_forecast_length
from datasets.common.results import VariableResult

INITS = pd.date_range("2024-01-01", periods=3, freq="6h")


def dataset() -> xr.Dataset:
    ds = xr.Dataset(coords={"init_time": INITS})
    missing = np.full(len(INITS), np.timedelta64("NaT", "ns"), dtype="timedelta64[ns]")
    ds = ds.assign_coords(ingested_forecast_length=("init_time", missing))
    ds["ingested_forecast_length"].encoding = {"units": "seconds"}
    ds["ingested_forecast_length"].attrs = {"long_name": "Ingested forecast length"}
    return ds


def result(name: str, coverage: dict) -> VariableResult:
    return VariableResult(name=name, succeeded=1, coverage=coverage)


def test_longest_lead_of_any_variable_per_init() -> None:
    results = {
        "a": result("a", {INITS[0].isoformat(): {"lead_time": 3600}, INITS[1].isoformat(): {"lead_time": 7200}}),
        "b": result("b", {INITS[0].isoformat(): {"lead_time": 10800}}),
        "c": result("c", {"2030-01-01T00:00:00": {"lead_time": 60}}),  # outside the dataset: ignored
    }
    ds = with_ingested_forecast_length(dataset(), results, "init_time")
    values = ds["ingested_forecast_length"].values
    assert values[0] == np.timedelta64(3, "h")
    assert values[1] == np.timedelta64(2, "h")
    assert np.isnat(values[2])
    assert ds["ingested_forecast_length"].encoding == {"units": "seconds"}
    assert ds["ingested_forecast_length"].attrs == {"long_name": "Ingested forecast length"}


def test_input_is_not_modified() -> None:
    original = dataset()
    with_ingested_forecast_length(original, {"a": result("a", {INITS[0].isoformat(): {"lead_time": 60}})}, "init_time")
    assert np.isnat(original["ingested_forecast_length"].values).all()
