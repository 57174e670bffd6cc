from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.storage import open_repository, parse_store_config
from pipelines.local import run_local
from steps.context import StepContext
from steps.errors import ConcurrentPublishError
from steps.join import join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.write import write
from tests.support.runs import INITS, read_main


def read_zarr(url: str) -> xr.Dataset:
    return xr.open_zarr(url, consolidated=False, decode_timedelta=True).load()


def assert_same_data(a: xr.Dataset, b: xr.Dataset) -> None:
    assert a.sizes == b.sizes
    for name in [*a.data_vars, *a.coords]:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=str(name))


def test_backfill_and_update_publish_to_every_replica(
    synthetic: DynamicalDataset, source: Path, tmp_path: Path
) -> None:
    primary = str(tmp_path / "primary.icechunk")
    replicas = [str(tmp_path / "replica.icechunk"), str(tmp_path / "replica.zarr")]
    context = StepContext.create(synthetic, primary, replica_urls=replicas)
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[3]), show_progress=False)
    run_local(context, RunRequest(operation="update", run_id="u"), now=INITS[-1], show_progress=False)
    expected = read_main(primary)
    assert expected.sizes["init_time"] == len(INITS)
    assert_same_data(read_main(replicas[0]), expected)
    assert_same_data(read_zarr(replicas[1]), expected)
    for url in (primary, replicas[0]):
        assert open_repository(parse_store_config(url), create=False).list_branches() == {"main"}


def test_plain_zarr_replica_shows_no_new_position_before_join(
    synthetic: DynamicalDataset, source: Path, tmp_path: Path
) -> None:
    replica = str(tmp_path / "replica.zarr")
    context = StepContext.create(synthetic, str(tmp_path / "p.icechunk"), replica_urls=[replica])
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[2]), show_progress=False)
    plan(context, RunRequest(operation="update", run_id="u"), now=INITS[-1])
    write(context, run_id="u", worker_index=0)
    assert read_zarr(replica).sizes["init_time"] == 2
    join(context, run_id="u")
    assert read_zarr(replica).sizes["init_time"] == len(INITS)


def test_a_replica_that_moved_stops_the_run_before_the_primary_publishes(
    synthetic: DynamicalDataset, source: Path, tmp_path: Path
) -> None:
    primary, replica = str(tmp_path / "p.icechunk"), str(tmp_path / "r.icechunk")
    context = StepContext.create(synthetic, primary, replica_urls=[replica])
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[2]), show_progress=False)
    plan(context, RunRequest(operation="update", run_id="u"), now=INITS[-1])
    write(context, run_id="u", worker_index=0)
    replica_repo = open_repository(parse_store_config(replica), create=False)
    replica_repo.writable_session("main").commit("someone else", allow_empty=True)
    primary_before = open_repository(parse_store_config(primary), create=False).lookup_branch("main")
    with pytest.raises(ConcurrentPublishError, match="main moved"):
        join(context, run_id="u")
    assert open_repository(parse_store_config(primary), create=False).lookup_branch("main") == primary_before
