from pathlib import Path

import pytest
import xarray as xr

from datasets.common.dynamical_dataset import DynamicalDataset
from tests.support.runs import INITS, assert_same_dataset, load_json, read_main, run_cli

END = "2024-01-02T12:00"


def step_args(store_url: str, tmp_path: Path, step: str, *extra: str) -> list[str]:
    return [
        "synthetic-forecast",
        "step",
        step,
        "--run-id",
        "r1",
        "--store",
        store_url,
        "--output",
        str(tmp_path / f"{step}.json"),
        *extra,
    ]


@pytest.fixture
def reference(synthetic: DynamicalDataset, source: Path, tmp_path: Path) -> xr.Dataset:
    url = str(tmp_path / "reference.icechunk")
    result = run_cli(synthetic, ["synthetic-forecast", "backfill-local", END, "--store", url, "--run-id", "ref"])
    assert result.returncode == 0, result.stderr
    return read_main(url)


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["write-after-download", "write-after-job"])
def test_killed_writer_resumes_without_redoing_finished_jobs(
    synthetic: DynamicalDataset, reference: xr.Dataset, tmp_path: Path, kill_at: str
) -> None:
    url = str(tmp_path / "s.icechunk")
    assert (
        run_cli(
            synthetic, step_args(url, tmp_path, "plan", "--operation", "backfill", "--append-dim-end", END)
        ).returncode
        == 0
    )
    write = step_args(url, tmp_path, "write", "--worker-index", "0", "--workers-total", "1")
    killed = run_cli(synthetic, write, kill_at=kill_at)
    assert killed.returncode == -9
    resumed = run_cli(synthetic, write)
    assert resumed.returncode == 0, resumed.stderr
    summary = load_json(tmp_path / "write.json")
    jobs = len(INITS) // 2
    assert summary["jobs_skipped"] == (1 if kill_at == "write-after-job" else 0)
    assert summary["jobs_processed"] + summary["jobs_skipped"] == jobs
    assert run_cli(synthetic, step_args(url, tmp_path, "join")).returncode == 0
    assert_same_dataset(read_main(url), reference)


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["join-before-publish", "join-after-publish"])
def test_killed_join_completes_on_rerun(
    synthetic: DynamicalDataset, reference: xr.Dataset, tmp_path: Path, kill_at: str
) -> None:
    url = str(tmp_path / "s.icechunk")
    assert (
        run_cli(
            synthetic, step_args(url, tmp_path, "plan", "--operation", "backfill", "--append-dim-end", END)
        ).returncode
        == 0
    )
    assert (
        run_cli(synthetic, step_args(url, tmp_path, "write", "--worker-index", "0", "--workers-total", "1")).returncode
        == 0
    )
    assert run_cli(synthetic, step_args(url, tmp_path, "join"), kill_at=kill_at).returncode == -9
    rerun = run_cli(synthetic, step_args(url, tmp_path, "join"))
    assert rerun.returncode == 0, rerun.stderr
    assert_same_dataset(read_main(url), reference)
    again = run_cli(synthetic, step_args(url, tmp_path, "join"))
    assert again.returncode == 0
    assert load_json(tmp_path / "join.json")["published"]


def test_replanning_a_run_reuses_it(synthetic: DynamicalDataset, source: Path, tmp_path: Path) -> None:
    url = str(tmp_path / "s.icechunk")
    plan = step_args(url, tmp_path, "plan", "--operation", "backfill", "--append-dim-end", END, "--workers-total", "2")
    assert run_cli(synthetic, plan).returncode == 0
    first = load_json(tmp_path / "plan.json")
    assert run_cli(synthetic, plan).returncode == 0
    assert load_json(tmp_path / "plan.json") == first
    assert first["worker_indices"] == [0, 1]
