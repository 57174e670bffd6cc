import json
from collections.abc import Callable
from pathlib import Path

import pytest

from datasets.registry import DATASETS
from pipelines.cli import build_app, run
from pipelines.demo.range_server import RangeServer
from tests.support.project_copy import PROJECT_ROOT, copy_project, run_in_copy

SAMPLES = PROJECT_ROOT / "tests" / "data" / "grib"
SURFACE = "regular_latlon_surface.grib2"


def main(*args: str) -> int:
    return run(build_app(DATASETS), list(args))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["noaa", "gfs", "forecast"],
            "error: dataset 'noaa-gfs-forecast' is already registered: refusing to overwrite it",
        ),
        (
            ["noaa", "GFS", "forecast"],
            "error: invalid model 'GFS': use lowercase letters, digits and single underscores",
        ),
        (["noaa", "gfs"], "error: Missing argument 'variant'."),
    ],
)
def test_refusals_exit_2_with_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(PROJECT_ROOT.joinpath("datasets").rglob("*.py"))
    assert main("initialize-new-integration", *args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message)
    assert captured.err.count("\n") == 1
    assert sorted(PROJECT_ROOT.joinpath("datasets").rglob("*.py")) == before


@pytest.mark.slow
def test_scaffold_in_a_copy_of_the_project_passes_lint_types_and_its_tests(tmp_path: Path) -> None:
    copy = copy_project(tmp_path / "project")
    scaffolded = run_in_copy(copy, "uv run main initialize-new-integration acme widget forecast_35_day")
    assert "acme-widget-forecast-35-day scaffolded and registered" in scaffolded.stdout
    assert "datasets/acme/widget/forecast_35_day/templates/latest.zarr" in scaffolded.stdout
    assert "uv run main render-argo" in scaffolded.stdout
    run_in_copy(copy, "uv run main render-argo")
    assert not (copy / "argo" / "acme-widget-forecast-35-day").exists()  # not deployable, as the example
    dynamical_dataset = copy / "datasets" / "acme" / "widget" / "forecast_35_day" / "dynamical_dataset.py"
    dynamical_dataset.write_text(dynamical_dataset.read_text().replace("deployable=False", "deployable=True"))
    run_in_copy(copy, "uv run main render-argo")
    assert (copy / "argo" / "acme-widget-forecast-35-day" / "workflow-template.yaml").is_file()
    # A deployed dataset has its page and README row (the integration guide's last step; a test checks both).
    page = "docs/datasets/acme-widget-forecast-35-day.md"
    (copy / page).write_text("# acme-widget-forecast-35-day\n\nWhere its source is and what it holds.\n")
    with (copy / "README.md").open("a") as readme:
        readme.write(f"\n| [`acme-widget-forecast-35-day`]({page}) | Acme's widget model |\n")

    run_in_copy(copy, "uv run ruff format --check . && uv run ruff check . && uv run ty check")
    tested = run_in_copy(
        copy,
        "uv run pytest -v -p no:cacheprovider tests/datasets/acme tests/datasets/test_registered_datasets.py "
        "tests/pipelines/argo/test_checked_in.py",
    )
    generated = "tests/datasets/acme/widget/forecast_35_day/test_region_job.py"
    assert f"{generated}::test_backfill_publishes_and_a_missing_file_stays_nan PASSED" in tested.stdout
    assert "test_checked_in_template_is_current[acme-widget-forecast-35-day] PASSED" in tested.stdout
    assert "test_checked_in_argo_manifests_are_what_render_argo_generates PASSED" in tested.stdout


def test_inspect_grib_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main("inspect-grib", str(SAMPLES / "nam.t00z.awp21100.tm00.grib2"), "--json", "--field", "7.2") == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["fields"]) == 181
    field = next(f for f in report["fields"] if f["label"] == "7.2")
    assert field["idx_line"] == "7.2:36181:d=2018091700:VGRD:100 mb:anl:"
    assert field["keys"]["shortName"] == "v"
    assert [s["label"] for s in report["statistics"]] == ["7.2"]
    assert len(report["hypercubes"]) == 17


def test_inspect_grib_tables(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main("inspect-grib", str(SAMPLES / SURFACE), "--field", "1") == 0
    out = capsys.readouterr().out
    assert "none (no .idx next to the file)" in out
    assert "- (wgrib2: TMP:2 m above ground:anl)" in out
    assert "2t heightAboveGround=2 instant 0 [K]" in out
    assert "0.0.0 / 103" in out
    assert "t2m: 2t [K]" in out
    assert "GridSpec(grid_type='regular_ll', ni=16, nj=31" in out
    assert "Statistics of the chosen fields" in out


def test_inspect_grib_resolves_relative_paths_against_the_source_url(
    http_archive: Callable[[Path], RangeServer], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = http_archive(SAMPLES)
    assert main("inspect-grib", SURFACE, "--json", "--source-url", server.base_url) == 0
    assert json.loads(capsys.readouterr().out)["url"] == f"{server.base_url}/{SURFACE}"
    monkeypatch.setenv("REFORMAT_SOURCE_URL", server.base_url)
    assert main("inspect-grib", f"https://noaa-gfs-bdp-pds.s3.amazonaws.com/{SURFACE}", "--json") == 0
    assert json.loads(capsys.readouterr().out)["url"] == f"{server.base_url}/{SURFACE}"
    assert len(server.requests_for(SURFACE)) == 2


def test_inspect_grib_missing_source_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main("inspect-grib", str(tmp_path / "nope.grib2")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "nope.grib2: not found" in err
    assert err.count("\n") == 1
