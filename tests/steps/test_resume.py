import json
from pathlib import Path

import pytest
import xarray as xr

from datasets.common.dynamical_dataset import DynamicalDataset
from tests.support.runs import INITS, assert_same_dataset, load_json, read_main, run_cli
from tests.support.synthetic_dataset import synthetic_dataset

END = "2024-01-02T12:00"
JOBS = len(INITS) // 2


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


def job_events(stderr: str) -> list[dict]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "job"]


@pytest.fixture
def reference(synthetic: DynamicalDataset, source: Path, tmp_path: Path) -> xr.Dataset:
    url = str(tmp_path / "reference.icechunk")
    result = run_cli(synthetic, ["synthetic-forecast", "backfill-local", END, "--store", url, "--run-id", "ref"])
    assert result.returncode == 0, result.stderr
    return read_main(url)


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_at",
    [
        "plan-before-record",
        "plan-after-record",
        "write-after-download",
        "write-after-job",
        "join-before-publish",
        "join-after-publish",
        "join-after-published-record",
    ],
)
def test_running_the_same_command_again_resumes_a_killed_backfill(
    synthetic: DynamicalDataset, reference: xr.Dataset, tmp_path: Path, kill_at: str
) -> None:
    command = ["synthetic-forecast", "backfill-local", END, "--store", str(tmp_path / "s.icechunk")]
    killed = run_cli(synthetic, command, kill_at=kill_at)
    assert killed.returncode == -9
    finished_before = len(list((tmp_path / "s.icechunk.runs").glob("*/jobs/*.json")))

    again = run_cli(synthetic, command)

    assert again.returncode == 0, again.stderr
    assert "resuming run backfill-" in again.stderr
    assert_same_dataset(read_main(str(tmp_path / "s.icechunk")), reference)
    outcomes = [event["outcome"] for event in job_events(again.stderr)]
    if kill_at.startswith("join"):
        assert outcomes == ["skipped"] * JOBS  # every job was done: join alone finishes the run
    else:
        assert outcomes.count("skipped") == finished_before
        assert outcomes.count("processed") == JOBS - finished_before
    assert finished_before == {"write-after-job": 1}.get(kill_at, 0 if not kill_at.startswith("join") else JOBS)
    assert len(list((tmp_path / "s.icechunk.runs").glob("backfill-*"))) == 1


@pytest.mark.slow
def test_a_published_backfill_run_again_says_so_and_succeeds(
    synthetic: DynamicalDataset, source: Path, tmp_path: Path
) -> None:
    command = ["synthetic-forecast", "backfill-local", END, "--store", str(tmp_path / "s.icechunk")]
    assert run_cli(synthetic, command).returncode == 0
    again = run_cli(synthetic, command)
    assert again.returncode == 0, again.stderr
    assert "already published by run backfill-" in again.stderr
    assert job_events(again.stderr) == []
    changed = run_cli(synthetic, [*command[:2], "2024-01-02T18:00", *command[3:]])
    assert changed.returncode == 2
    assert "pass --overwrite-chunks" in changed.stderr


@pytest.mark.slow
def test_a_killed_step_writer_resumes_without_redoing_finished_jobs(
    synthetic: DynamicalDataset, reference: xr.Dataset, tmp_path: Path
) -> None:
    url = str(tmp_path / "s.icechunk")
    plan = step_args(url, tmp_path, "plan", "--operation", "backfill", "--append-dim-end", END)
    assert run_cli(synthetic, plan).returncode == 0
    write = step_args(url, tmp_path, "write", "--worker-index", "0")
    assert run_cli(synthetic, write, kill_at="write-after-job").returncode == -9
    resumed = run_cli(synthetic, write)
    assert resumed.returncode == 0, resumed.stderr
    summary = load_json(tmp_path / "write.json")
    assert (summary["jobs_skipped"], summary["jobs_processed"]) == (1, JOBS - 1)
    assert [e["outcome"] for e in job_events(resumed.stderr)] == ["skipped"] + ["processed"] * (JOBS - 1)
    assert run_cli(synthetic, step_args(url, tmp_path, "join")).returncode == 0
    assert_same_dataset(read_main(url), reference)


@pytest.mark.slow
def test_write_reads_the_source_the_plan_recorded(
    synthetic: DynamicalDataset, source: Path, reference: xr.Dataset, tmp_path: Path
) -> None:
    """A write pod started without --source-url after a plan made against a mirror reads the mirror."""
    template_dir = synthetic.template_config.template_path().parent
    elsewhere = synthetic_dataset(template_dir, tmp_path / "no-archive-here")
    url = str(tmp_path / "s.icechunk")
    plan = step_args(url, tmp_path, "plan", "--operation", "backfill", "--append-dim-end", END)
    assert run_cli(elsewhere, [*plan, "--source-url", str(source)]).returncode == 0
    assert run_cli(elsewhere, step_args(url, tmp_path, "write", "--worker-index", "0")).returncode == 0
    assert run_cli(elsewhere, step_args(url, tmp_path, "join")).returncode == 0
    assert load_json(tmp_path / "join.json")["published"]
    assert_same_dataset(read_main(url), reference)


def test_replanning_a_run_reuses_it_and_another_request_is_refused(
    synthetic: DynamicalDataset, source: Path, tmp_path: Path
) -> None:
    url = str(tmp_path / "s.icechunk")
    plan = step_args(url, tmp_path, "plan", "--operation", "backfill", "--append-dim-end", END, "--workers", "2")
    assert run_cli(synthetic, plan).returncode == 0
    first = load_json(tmp_path / "plan.json")
    assert run_cli(synthetic, plan).returncode == 0
    assert load_json(tmp_path / "plan.json") == first
    assert first["workers_total"] == 2
    other = run_cli(synthetic, [*plan[:-4], "--append-dim-end", "2024-01-02T18:00"])
    assert other.returncode == 1
    assert "was planned for another request" in other.stderr
