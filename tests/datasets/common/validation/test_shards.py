import asyncio

import numpy as np

from datasets.common.timestamps import timedelta
from datasets.common.validation import CheckExpectedShards, CheckHoles
from tests.support.validation import NO_HOUR_0, forecast, store_of, target_of


def by_variable(results: list) -> dict:
    return {r.variable: r for r in results}


def test_passes_when_every_expected_shard_is_stored() -> None:
    results = CheckExpectedShards().run(target_of(forecast()))
    assert [r.passed for r in results] == [True, True]
    assert results[0].message == "all 3 expected shards stored"


def test_a_deleted_shard_fails_and_lists_its_positions() -> None:
    store = store_of(forecast())
    asyncio.run(store.delete("temperature_2m/c/1/0/0/0"))
    results = by_variable(CheckExpectedShards().run(target_of(forecast(), store=store)))
    assert results[NO_HOUR_0].passed
    failed = results["temperature_2m"]
    assert not failed.passed
    assert failed.positions == ("2024-01-01T12:00:00", "2024-01-01T18:00:00")
    assert "1 of 3 expected shards missing" in failed.message


def test_a_never_written_all_nan_shard_is_missing() -> None:
    ds = forecast()
    ds["temperature_2m"].values[4:] = np.nan
    [result] = CheckExpectedShards(variables=("temperature_2m",)).run(target_of(ds))
    assert not result.passed
    assert result.positions == ("2024-01-02T00:00:00", "2024-01-02T06:00:00")


def test_shards_beyond_the_ingested_length_and_lead_0_of_windowed_variables_are_not_expected() -> None:
    ds = forecast(chunks=(1, 1, 2, 4), shards=(2, 1, 4, 8))  # one lead time per shard
    ds["ingested_forecast_length"].values[-2:] = timedelta("3h").to_timedelta64()
    for name in ds.data_vars:
        ds[name].values[-2:, 2] = np.nan
    results = CheckExpectedShards().run(target_of(ds))
    assert all(r.passed for r in results), [r.message for r in results]
    assert by_variable(results)[NO_HOUR_0].message == "all 5 expected shards stored"
    [result] = CheckExpectedShards(variables=(NO_HOUR_0,)).run(target_of(ds, no_hour_0=()))
    assert not result.passed
    assert "3 of 8 expected shards missing" in result.message


def test_an_analysis_without_lead_times() -> None:
    ds = forecast().isel(lead_time=1, drop=True).drop_vars(["expected_forecast_length", "ingested_forecast_length"])
    for name in ds.data_vars:
        ds[name].encoding = {"chunks": (1, 2, 4), "shards": (2, 4, 8), "fill_value": np.float32(np.nan)}
    ds["temperature_2m"].values[2:4] = np.nan
    results = by_variable(CheckExpectedShards().run(target_of(ds)))
    assert results[NO_HOUR_0].passed
    assert results["temperature_2m"].positions == ("2024-01-01T12:00:00", "2024-01-01T18:00:00")
    holes = by_variable(CheckHoles().run(target_of(ds)))
    assert holes["temperature_2m"].positions == ("2024-01-01T12:00:00", "2024-01-01T18:00:00")
    assert set(holes) == {"temperature_2m", NO_HOUR_0}
