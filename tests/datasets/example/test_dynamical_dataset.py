from pathlib import Path

from datasets.common.timestamps import timedelta
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from steps.validate import validate
from tests.datasets.example.test_region_job import DATASET, END, INITS, SOURCE_VARIABLES, write_archive

VALIDATED_AT = INITS[-1] + timedelta("5h45min")


def backfill(tmp_path: Path, missing_lead: int | None = None) -> StepContext:
    root = tmp_path / "archive"
    paths = write_archive(root)
    if missing_lead is not None:
        paths[missing_lead].unlink()  # a file of the first init never arrived
    context = StepContext.create(DATASET, str(tmp_path / "store.icechunk"), source_url=str(root))
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=END), show_progress=False)
    return context


def test_the_example_is_not_deployed() -> None:
    assert not DATASET.deployable


def test_a_complete_backfill_passes_every_configured_validator(tmp_path: Path, source_cache: Path) -> None:
    report = validate(backfill(tmp_path), now=VALIDATED_AT)
    assert report.passed, [(r.check, r.variable, r.message) for r in report.failures]
    checks = {r.check for r in report.results}
    assert checks == {
        "CheckCurrentData", "CheckRecentNans", "CheckExpectedShards", "CheckHoles", "CheckReplicaMatchesPrimary",
    }  # fmt: skip
    late = validate(StepContext.create(DATASET, report.store_url), now=VALIDATED_AT + timedelta("6h"))
    assert [r.check for r in late.failures] == ["CheckCurrentData"]


def test_a_missing_source_file_is_reported_as_a_hole(tmp_path: Path, source_cache: Path) -> None:
    report = validate(backfill(tmp_path, missing_lead=2), now=VALIDATED_AT)
    assert {(r.check, r.variable, r.positions) for r in report.failures} == {
        (check, name, ("2024-01-01T00:00:00",))
        for check in ("CheckHoles", "CheckRecentNans")  # the newest two inits are recent
        for name in SOURCE_VARIABLES
    }
