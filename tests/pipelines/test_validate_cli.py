import json
import shlex
from pathlib import Path

import jsonschema
import matplotlib.image
import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.timestamps import timedelta
from datasets.common.validation import CheckHoles, CheckResult, ValidationReport, default_validators
from pipelines.cli import build_app, run
from pipelines.validate_cli import refill_command
from tests.support.runs import INITS
from tests.support.synthetic_dataset import LEAD_TIMES, write_source_archive

NOW = "2024-01-02T07:00"
END = (INITS[-1] + timedelta("6h")).isoformat()


@pytest.fixture
def dataset(synthetic: DynamicalDataset) -> DynamicalDataset:
    return synthetic.model_copy(update={"validation": (*default_validators(), CheckHoles())})


def cli(dataset: DynamicalDataset, *args: str) -> int:
    return run(build_app([dataset]), ["synthetic-forecast", *args])


def backfill(dataset: DynamicalDataset, store_url: str, *args: str) -> None:
    assert cli(dataset, "backfill-local", END, "--store", store_url, *args) == 0


def test_exit_code_json_and_plot_of_a_passing_dataset(
    dataset: DynamicalDataset, source: Path, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backfill(dataset, store_url)
    report_path, plot_path = tmp_path / "out" / "report.json", tmp_path / "out" / "availability.png"
    args = ["validate", "--store", store_url, "--json", str(report_path), "--plot", str(plot_path), "--now", NOW]
    assert cli(dataset, *args) == 0
    out = capsys.readouterr().out
    assert "CheckExpectedShards" in out
    assert "NO" not in out

    document = json.loads(report_path.read_text())
    jsonschema.validate(document, ValidationReport.model_json_schema())
    assert document["passed"] is True
    assert document["validated_at"] == "2024-01-02T07:00:00"
    assert set(document) == {
        "dataset_id", "store_url", "snapshot_id", "validated_at", "append_dim", "append_dim_extent",
        "first_position", "last_position", "passed", "results", "availability",
    }  # fmt: skip
    assert set(document["results"][0]) == {"check", "variable", "passed", "message", "positions"}
    assert document["availability"]["fraction_present"]["temperature_2m"] == [1.0] * 6

    image = matplotlib.image.imread(plot_path)
    assert image.shape == (600, 1200, 4)
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_validate_as_the_argo_container_runs_it(
    dataset: DynamicalDataset, source: Path, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backfill(dataset, store_url)
    monkeypatch.setenv("REFORMAT_STORE_URL", store_url)
    monkeypatch.setenv("REFORMAT_REPLICA_URLS", "")
    output = tmp_path / "outputs" / "validate.json"
    assert cli(dataset, "validate", "--json", str(output)) == 0
    assert json.loads(output.read_text())["store_url"] == store_url


def test_failures_exit_1_and_a_targeted_backfill_fixes_them(
    dataset: DynamicalDataset, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(dataset.source_base_url)
    write_source_archive(root, INITS, missing=[(INITS[1], LEAD_TIMES[1])])
    backfill(dataset, store_url)
    report_path = tmp_path / "report.json"
    assert cli(dataset, "validate", "--store", store_url, "--json", str(report_path), "--now", NOW) == 1
    captured = capsys.readouterr()
    assert "error: 2 of 7 checks failed" in captured.err
    assert "re-fill the listed positions with:" in captured.out

    report = ValidationReport.model_validate_json(report_path.read_text())
    assert [(r.check, r.variable, r.positions) for r in report.failures] == [
        ("CheckHoles", "temperature_2m", ("2024-01-01T06:00:00",)),
        ("CheckHoles", "wind_u_10m", ("2024-01-01T06:00:00",)),
    ]
    command = refill_command(dataset, report)
    assert command == (
        "main synthetic-forecast backfill-local 2024-01-01T12:00:00 --overwrite-chunks "
        f"--filter-contains 2024-01-01T06:00:00 --store {store_url}"
    )

    write_source_archive(root, [INITS[1]])  # the late file arrives
    # (a run id of its own: the default one, from the clock's second, could repeat the first backfill's)
    assert run(build_app([dataset]), [*shlex.split(command)[1:], "--run-id", "refill"]) == 0
    assert cli(dataset, "validate", "--store", store_url, "--now", NOW) == 0


def test_nothing_published_exits_1(
    dataset: DynamicalDataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(dataset, "validate", "--store", str(tmp_path / "none.icechunk")) == 1
    captured = capsys.readouterr()
    assert "nothing is published" in captured.out
    assert "error: 1 of 1 checks failed" in captured.err


def test_now_is_hidden_and_checked(dataset: DynamicalDataset, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(dataset, "validate", "--help") == 0
    help_text = capsys.readouterr().out
    assert "--json" in help_text
    assert "--plot" in help_text
    assert "--now" not in help_text
    assert cli(dataset, "validate", "--now", "yesterday") == 2


def report_with(*results: CheckResult) -> ValidationReport:
    return ValidationReport(
        dataset_id="synthetic-forecast",
        store_url="./data/synthetic-forecast/v0.1.0.icechunk",
        snapshot_id="S",
        validated_at=NOW,
        append_dim="init_time",
        append_dim_extent=6,
        first_position=INITS[0].isoformat(),
        last_position=INITS[-1].isoformat(),
        passed=False,
        results=results,
    )


def test_refill_command_names_one_position_per_shard_and_the_variables_at_fault(
    dataset: DynamicalDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFORMAT_STORE_URL", raising=False)
    positions = tuple(p.isoformat() for p in (INITS[0], INITS[1], INITS[4]))  # shards of two inits: 0, 0, 2
    holes = CheckResult(check="CheckHoles", variable="wind_u_10m", passed=False, message="", positions=positions)
    passed = CheckResult(check="CheckHoles", variable="temperature_2m", passed=True, message="")
    assert refill_command(dataset, report_with(holes, passed)) == (
        "main synthetic-forecast backfill-local 2024-01-02T06:00:00 --overwrite-chunks "
        "--filter-contains 2024-01-01T00:00:00 --filter-contains 2024-01-02T00:00:00 "
        "--filter-variable-names wind_u_10m"
    )
    short = CheckResult(
        check="CheckHoles", variable="ingested_forecast_length", passed=False, message="", positions=positions[:1]
    )
    command = refill_command(dataset, report_with(holes, short))
    assert command is not None
    assert "--filter-variable-names" not in command
    assert refill_command(dataset, report_with(passed)) is None


def test_backfill_local_writes_its_summary_as_json(
    dataset: DynamicalDataset, source: Path, store_url: str, tmp_path: Path
) -> None:
    summary_path = tmp_path / "summary.json"
    backfill(dataset, store_url, "--verbose", "--json", str(summary_path))
    summary = json.loads(summary_path.read_text())
    assert summary["published"] is True
    assert set(summary["variables"]) == {"temperature_2m", "wind_u_10m"}
    assert summary["bytes_written"] > 0
