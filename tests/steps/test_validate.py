import asyncio
from pathlib import Path

import numpy as np
import pytest
import zarr

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.storage import open_repository, parse_store_config
from datasets.common.timestamps import timedelta
from datasets.common.validation import CheckCurrentData, CheckExpectedShards, CheckReplicaMatchesPrimary
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from steps.validate import validate
from tests.support.runs import INITS

NOW = INITS[-1] + timedelta("1h")


@pytest.fixture
def published(synthetic: DynamicalDataset, source: Path, store_url: str) -> str:
    context = StepContext.create(synthetic, store_url)
    run_local(
        context,
        RunRequest(operation="backfill", run_id="b1", append_dim_end=INITS[-1] + timedelta("6h")),
        show_progress=False,
    )
    return store_url


def test_a_complete_dataset_passes_the_default_validators(synthetic: DynamicalDataset, published: str) -> None:
    report = validate(StepContext.create(synthetic, published), now=NOW)
    assert report.passed, [r.message for r in report.failures]
    assert [r.check for r in report.results] == [
        "CheckRecentNans",
        "CheckRecentNans",
        "CheckExpectedShards",
        "CheckExpectedShards",
        "CheckReplicaMatchesPrimary",
    ]
    repo = open_repository(parse_store_config(published), create=False)
    assert report.snapshot_id == repo.lookup_branch("main")
    assert (report.append_dim_extent, report.first_position, report.last_position) == (
        6,
        "2024-01-01T00:00:00",
        "2024-01-02T06:00:00",
    )
    assert report.validated_at == NOW.isoformat()
    assert report.availability is None


def test_nothing_published_fails(synthetic: DynamicalDataset, tmp_path: Path) -> None:
    report = validate(StepContext.create(synthetic, str(tmp_path / "nothing.icechunk")), now=NOW)
    assert not report.passed
    assert [(r.check, r.message) for r in report.results] == [
        ("Published", f"nothing is published at {tmp_path / 'nothing.icechunk'}")
    ]


def test_validators_see_main_only(synthetic: DynamicalDataset, published: str) -> None:
    repo = open_repository(parse_store_config(published), create=False)
    repo.create_branch("scratch", repo.lookup_branch("main"))
    session = repo.writable_session("scratch")
    asyncio.run(session.store.delete("temperature_2m/c/0/0/0/0"))
    session.commit("delete a shard on another branch")
    assert validate(StepContext.create(synthetic, published), now=NOW).passed

    session = repo.writable_session("main")
    asyncio.run(session.store.delete("temperature_2m/c/0/0/0/0"))
    session.commit("delete a shard on main")
    report = validate(StepContext.create(synthetic, published), now=NOW)
    [failure] = report.failures
    assert (failure.check, failure.variable) == ("CheckExpectedShards", "temperature_2m")
    assert failure.positions == ("2024-01-01T00:00:00", "2024-01-01T06:00:00")


def test_freshness_uses_the_given_time(synthetic: DynamicalDataset, published: str) -> None:
    dataset = synthetic.model_copy(update={"validation": (CheckCurrentData(max_delay=timedelta("3h")),)})
    assert validate(StepContext.create(dataset, published), now=INITS[-1] + timedelta("8h59min")).passed
    stale = validate(StepContext.create(dataset, published), now=INITS[-1] + timedelta("9h"))
    assert stale.failures[0].positions == ("2024-01-02T12:00:00",)


def test_replicas_published_by_the_run_match_until_one_is_tampered_with(
    synthetic: DynamicalDataset, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    primary = str(tmp_path / "primary.icechunk")
    replicas = [str(tmp_path / "replica.zarr"), str(tmp_path / "replica.icechunk")]
    context = StepContext.create(synthetic, primary, replica_urls=replicas)
    run_local(context, RunRequest(operation="backfill", run_id="b1", append_dim_end=INITS[4]), show_progress=False)
    dataset = synthetic.model_copy(update={"validation": (CheckReplicaMatchesPrimary(),)})
    report = validate(StepContext.create(dataset, primary, replica_urls=replicas), now=NOW)
    assert [r.message for r in report.results] == [f"replica {url} matches" for url in replicas]

    tampered = zarr.open_array(replicas[0], path="wind_u_10m", mode="r+")
    tampered[3] = np.asarray(tampered[3]) + 1
    missing = str(tmp_path / "missing.zarr")
    report = validate(StepContext.create(dataset, primary, replica_urls=[replicas[0], missing]), now=NOW)
    assert [r.passed for r in report.results] == [False, False]
    assert "data differs in wind_u_10m" in report.results[0].message
    assert report.results[1].message.startswith(f"replica {missing}: ")


def test_availability_on_request(synthetic: DynamicalDataset, published: str) -> None:
    dataset = synthetic.model_copy(update={"validation": (CheckExpectedShards(),)})
    report = validate(StepContext.create(dataset, published), now=NOW, with_availability=True)
    assert report.availability is not None
    assert report.availability.fraction_present == {"temperature_2m": (1.0,) * 6, "wind_u_10m": (1.0,) * 6}
