from pathlib import Path

import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.cli import build_app, run


def cli(synthetic: DynamicalDataset, *args: str) -> int:
    return run(build_app([synthetic]), list(args))


def test_help_lists_datasets(synthetic: DynamicalDataset, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(synthetic, "--help") == 0
    out = capsys.readouterr().out
    assert "synthetic-forecast" in out
    assert "A tiny synthetic forecast" in out


def test_info(
    synthetic: DynamicalDataset, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert cli(synthetic, "synthetic-forecast", "info", "--store", str(tmp_path / "x.icechunk")) == 0
    out = capsys.readouterr().out
    assert "temperature_2m" in out
    assert "x.icechunk" in out
    assert "(2, 3, 4, 8)" in out


def test_update_template(synthetic: DynamicalDataset) -> None:
    path = synthetic.template_config.template_path()
    (path / "zarr.json").unlink()
    assert cli(synthetic, "synthetic-forecast", "update-template") == 0
    assert (path / "zarr.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope-dataset", "info"], "unknown dataset id or command 'nope-dataset'"),
        (["synthetic-forecast", "backfill-local", "2024-13-01"], "invalid date '2024-13-01'"),
        (["synthetic-forecast", "backfill-local", "yesterday"], "invalid date 'yesterday'"),
        (["synthetic-forecast", "backfill-local", "2023-01-01"], "must be after the dataset start"),
        (
            [
                "synthetic-forecast",
                "backfill-local",
                "2024-02-01",
                "--filter-start",
                "2024-01-05",
                "--filter-end",
                "2024-01-02",
            ],
            "end 2024-01-02T00:00:00 must be after start 2024-01-05T00:00:00",
        ),
        (
            ["synthetic-forecast", "backfill-local", "2024-02-01", "--filter-variable-names", "snow"],
            "unknown variable name(s) snow",
        ),
        (["synthetic-forecast", "info", "--store", "ftp://x/y"], "unsupported store URL 'ftp://x/y'"),
        (["synthetic-forecast", "validate", "--replica", "gs://bucket"], "needs a bucket and a prefix"),
        (["synthetic-forecast", "update", "--replica", "http://x/y.zarr"], "unsupported store URL"),
        (["synthetic-forecast", "backfill-argo", "2024-02-01", "--store", "s3://b"], "needs a bucket and a prefix"),
        (
            ["synthetic-forecast", "step", "plan", "--operation", "rewind", "--run-id", "r", "--output", "o.json"],
            "unknown operation",
        ),
        (
            [
                "synthetic-forecast",
                "step",
                "plan",
                "--operation",
                "update",
                "--run-id",
                "bad id!",
                "--output",
                "o.json",
            ],
            "run id",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    synthetic: DynamicalDataset, capsys: pytest.CaptureFixture[str], args: list[str], message: str, tmp_path: Path
) -> None:
    assert (
        cli(
            synthetic,
            *args,
            *(["--store", str(tmp_path / "s.icechunk")] if "step" in args or "backfill-local" in args else []),
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err
