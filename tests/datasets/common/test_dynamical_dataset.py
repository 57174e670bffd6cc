from pathlib import Path

from datasets.common.dynamical_dataset import DynamicalDataset, scheduled_validators
from datasets.common.storage import open_repository, parse_store_config
from datasets.common.timestamps import timedelta
from datasets.common.validation import (
    CheckCurrentData,
    CheckExpectedShards,
    CheckHoles,
    CheckRecentNans,
    CheckReplicaMatchesPrimary,
)
from datasets.registry import get_dataset
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from tests.support.runs import INITS


def test_scheduled_validators_check_holes_only_when_asked() -> None:
    without_holes = scheduled_validators(timedelta("2h"))
    assert [type(v) for v in without_holes] == [
        CheckCurrentData,
        CheckRecentNans,
        CheckExpectedShards,
        CheckReplicaMatchesPrimary,
    ]
    current, recent_nans = without_holes[:2]
    assert current == CheckCurrentData(max_delay=timedelta("2h"))
    assert recent_nans == CheckRecentNans(window=2, max_nan_fraction=0.001)

    every_variable = scheduled_validators(timedelta("2h"), nan_window=6, max_nan_fraction=0.0, hole_variables=())
    assert every_variable[1] == CheckRecentNans(window=6)
    assert every_variable[3] == CheckHoles()
    some = scheduled_validators(timedelta("2h"), hole_variables=("temperature_2m",))
    assert some[3] == CheckHoles(variables=("temperature_2m",))


def test_manifests_split_a_year_of_shards_along_the_append_dim() -> None:
    assert get_dataset("noaa-gfs-forecast").manifest_split_size == 1460
    assert get_dataset("noaa-gefs-forecast-35-day").manifest_split_size == 365
    assert get_dataset("noaa-hrrr-analysis").manifest_split_size == 4


def append_dim_extents(store_url: str) -> dict[str, list[tuple[str, tuple[int, int]]]]:
    """Each data variable's manifests on main: id and the range of stored chunks along the append dim it holds."""
    repo = open_repository(parse_store_config(store_url), create=False)
    snapshot = repo.inspect_snapshot(repo.lookup_branch("main"))
    return {
        node["path"].strip("/"): [(ref["id"], tuple(ref["extents"][0])) for ref in node["manifest_refs"]]
        for node in snapshot["nodes"]
        if node["node_type"] == "array" and node["path"].strip("/") in ("temperature_2m", "wind_u_10m")
    }


def test_a_read_of_a_recent_range_fetches_one_split_and_an_update_rewrites_only_its_own(
    synthetic: DynamicalDataset, source: Path, tmp_path: Path
) -> None:
    dataset = synthetic.model_copy(update={"manifest_split_span": timedelta("12h")})
    assert dataset.manifest_split_size == 1
    stores = [str(tmp_path / "primary.icechunk"), str(tmp_path / "replica.icechunk")]
    context = StepContext.create(dataset, stores[0], replica_urls=stores[1:])
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[4]), show_progress=False)
    backfilled = {url: append_dim_extents(url) for url in stores}
    run_local(context, RunRequest(operation="update", run_id="u"), now=INITS[-1], show_progress=False)
    for url in stores:
        updated = append_dim_extents(url)
        assert set(updated) == {"temperature_2m", "wind_u_10m"}
        for name, manifests in updated.items():
            assert [extent for _, extent in manifests] == [(0, 1), (1, 2), (2, 3)], name
            # the update rewrote the shards of its jobs (the newest published one and the new one), not the first
            assert manifests[0] == backfilled[url][name][0], name
            assert manifests[1] != backfilled[url][name][1], name
