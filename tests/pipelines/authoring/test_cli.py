from pathlib import Path

import pytest

from datasets.registry import DATASETS
from pipelines.cli import build_app, run
from tests.support.project_copy import PROJECT_ROOT, copy_project, run_in_copy


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
    assert run(build_app(DATASETS), ["initialize-new-integration", *args]) == 2
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
    assert (copy / "argo" / "acme-widget-forecast-35-day" / "workflow-template.yaml").is_file()

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
