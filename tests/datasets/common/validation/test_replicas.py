from pathlib import Path

import numpy as np
import xarray as xr

from datasets.common.validation import CheckReplicaMatchesPrimary, ReplicaView, SpatialSample
from tests.support.validation import forecast, open_store, store_of, target_of

CHECK = CheckReplicaMatchesPrimary(sample=SpatialSample(chunks=None))


def zarr_replica(ds: xr.Dataset, path: Path) -> ReplicaView:
    ds.to_zarr(path, zarr_format=3, consolidated=False, mode="w")
    return ReplicaView(url=str(path), ds=xr.open_zarr(path, consolidated=False, chunks=None, decode_timedelta=True))


def test_passes_without_replicas() -> None:
    [result] = CHECK.run(target_of(forecast()))
    assert result.passed
    assert result.message == "no replicas configured"


def test_an_identical_copy_matches(tmp_path: Path) -> None:
    primary = open_store(store_of(forecast()))
    [result] = CHECK.run(target_of(forecast(), replicas=[zarr_replica(primary, tmp_path / "replica.zarr")]))
    assert result.passed, result.message


def test_differing_sampled_data_fails(tmp_path: Path) -> None:
    tampered = forecast()
    tampered["temperature_2m"].values[-1, 1, 2, 3] += 1
    [result] = CHECK.run(target_of(forecast(), replicas=[zarr_replica(tampered, tmp_path / "replica.zarr")]))
    assert not result.passed
    assert "data differs in temperature_2m" in result.message
    assert str(tmp_path / "replica.zarr") in result.message


def test_differing_coordinates_fail(tmp_path: Path) -> None:
    tampered = forecast()
    tampered["ingested_forecast_length"].values[0] = np.timedelta64(1, "h")
    [result] = CHECK.run(target_of(forecast(), replicas=[zarr_replica(tampered, tmp_path / "replica.zarr")]))
    assert not result.passed
    assert "coordinate ingested_forecast_length differs" in result.message


def test_a_shorter_replica_fails(tmp_path: Path) -> None:
    shorter = forecast(inits=5)
    [result] = CHECK.run(target_of(forecast(), replicas=[zarr_replica(shorter, tmp_path / "replica.zarr")]))
    assert not result.passed
    assert "coordinate init_time differs" in result.message


def test_missing_variables_and_unreadable_replicas_fail(tmp_path: Path) -> None:
    partial = zarr_replica(forecast().drop_vars("temperature_2m"), tmp_path / "partial.zarr")
    gone = ReplicaView(url="s3://bucket/gone.zarr", ds=None, error="cannot open: not found")
    results = CHECK.run(target_of(forecast(), replicas=[partial, gone]))
    assert [r.passed for r in results] == [False, False]
    assert "variables differ (temperature_2m)" in results[0].message
    assert results[1].message == "replica s3://bucket/gone.zarr: cannot open: not found"


def test_only_sampled_positions_are_compared(tmp_path: Path) -> None:
    tampered = forecast(inits=12)
    tampered["temperature_2m"].values[0] += 1
    check = CheckReplicaMatchesPrimary(newest_positions=2, random_positions=0, sample=SpatialSample(chunks=None))
    replica = zarr_replica(tampered, tmp_path / "replica.zarr")
    assert check.run(target_of(forecast(inits=12), replicas=[replica]))[0].passed
    sweep = check.model_copy(update={"random_positions": 10})
    assert not sweep.run(target_of(forecast(inits=12), replicas=[replica]))[0].passed
