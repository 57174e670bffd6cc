"""Small forecast datasets in memory stores for validator tests."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from zarr.storage import MemoryStore

from datasets.common.timestamps import timedelta, timestamp
from datasets.common.validation import ReplicaView, ValidationTarget

START = timestamp("2024-01-01T00:00")
FREQUENCY = timedelta("6h")
LEADS = pd.to_timedelta([0, 3, 6], unit="h")
NO_HOUR_0 = "precipitation_surface"


def forecast(
    inits: int = 6, *, chunks: tuple[int, ...] = (1, 3, 2, 4), shards: tuple[int, ...] = (2, 3, 4, 8)
) -> xr.Dataset:
    """temperature_2m and precipitation_surface (NaN at lead 0) on a 4x8 grid, fully ingested."""
    init_times = pd.date_range(START, periods=inits, freq=FREQUENCY, name="init_time")
    shape = (inits, len(LEADS), 4, 8)
    values = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    precipitation = values / 100
    precipitation[:, 0] = np.nan
    ds = xr.Dataset(
        {
            "temperature_2m": (("init_time", "lead_time", "latitude", "longitude"), values),
            NO_HOUR_0: (("init_time", "lead_time", "latitude", "longitude"), precipitation),
        },
        coords={
            "init_time": init_times,
            "lead_time": LEADS,
            "latitude": np.array([60.0, 20.0, -20.0, -60.0]),
            "longitude": np.arange(-180.0, 180.0, 45.0),
            "expected_forecast_length": ("init_time", np.full(inits, LEADS[-1].to_timedelta64())),
            "ingested_forecast_length": ("init_time", np.full(inits, LEADS[-1].to_timedelta64())),
        },
    )
    for name in ds.data_vars:
        ds[name].encoding = {"chunks": chunks, "shards": shards, "fill_value": np.float32(np.nan)}
    return ds


def store_of(ds: xr.Dataset) -> MemoryStore:
    store = MemoryStore()
    ds.to_zarr(store, zarr_format=3, consolidated=False, mode="w")
    return store


def open_store(store: MemoryStore) -> xr.Dataset:
    return xr.open_zarr(store, consolidated=False, chunks=None, decode_timedelta=True)


def target_of(
    ds: xr.Dataset,
    *,
    now: pd.Timestamp | None = None,
    no_hour_0: Sequence[str] = (NO_HOUR_0,),
    replicas: Sequence[ReplicaView] = (),
    store: MemoryStore | None = None,
) -> ValidationTarget:
    """Write `ds` (unless a store is given) and validate what reading it back gives."""
    store = store if store is not None else store_of(ds)
    opened = open_store(store)
    return ValidationTarget(
        ds=opened,
        store=store,
        append_dim="init_time",
        append_dim_start=START,
        append_dim_frequency=FREQUENCY,
        now=now if now is not None else timestamp(opened["init_time"].values[-1]) + timedelta("1h"),
        no_hour_0_variables=frozenset(no_hour_0),
        replicas=tuple(replicas),
    )
