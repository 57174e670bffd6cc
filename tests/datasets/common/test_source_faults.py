"""Every source fault against every source family (NOAA `.idx`, ECMWF `.index`, DWD whole files).

Each fault has one class. *Retried*: the request is retried and every value is the clean run's. *Unavailable*: the
fault outlasts the retry budget and the job fails with SourceUnavailableError (the step's one-line failure), leaving
no local file. *Not found* / *corrupt*: exactly the fault's cells are NaN, the clean run's values are everywhere else,
and the cells' files are listed (not_found / read_failed). The retries each variable reports are checked too."""

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pytest
import xarray as xr

from datasets.common.errors import SourceUnavailableError
from datasets.common.results import VariableResult
from datasets.common.sources.fetch import configure_fetch
from tests.support.archive_fixtures import TEST_FETCH_SETTINGS
from tests.support.fault_families import FAMILIES, HIT, NAMES, DwdFamily, FaultFamily
from tests.support.fault_server import Fault, FaultServer, RedirectToHtml, ResetMidBody, ShortBody, Slow, Status

type Outcome = Literal["retried", "unavailable", "not found", "corrupt"]
type Scope = Literal["file", "field"]

READ_TIMEOUT_SECONDS = 1.0  # only where a fault is a slow answer


class Row(NamedTuple):
    fault: str
    outcome: Outcome
    scope: Scope = "file"
    server_fault: Fault | None = None
    on_index: bool = False
    damage: Callable[[FaultFamily, Path], None] | None = None


def _unlink(path: Path) -> None:
    path.unlink()


def _empty(path: Path) -> None:
    path.write_bytes(b"")


SERVER_FAULTS: list[tuple[str, Fault]] = [
    ("HTTP 500", Status(status=500)),
    ("HTTP 502", Status(status=502)),
    ("HTTP 503", Status(status=503)),
    ("HTTP 429 + Retry-After", Status(status=429, retry_after="1")),
    ("HTTP 503 + Retry-After", Status(status=503, retry_after="1")),
    ("302 to an HTML page", RedirectToHtml()),
    ("connection reset mid-body", ResetMidBody()),
    ("body shorter than its range", ShortBody()),
    ("slower than the read timeout", Slow(seconds=3 * READ_TIMEOUT_SECONDS)),
]
ROWS: list[Row] = [
    *(Row(f"{name} once", "retried", server_fault=fault) for name, fault in SERVER_FAULTS),
    *(Row(f"{name} always", "unavailable", server_fault=fault) for name, fault in SERVER_FAULTS),
    Row("HTTP 503 once on the index", "retried", server_fault=Status(status=503), on_index=True),
    Row("302 to an HTML page always on the index", "unavailable", server_fault=RedirectToHtml(), on_index=True),
    Row("zero-byte object for the data", "not found", damage=lambda f, root: _empty(root / f.target())),
    Row("data 404 (index present)", "not found", damage=lambda f, root: _unlink(root / f.target())),
    Row("index 404", "not found", damage=lambda f, root: _unlink(root / (f.index() or ""))),
    Row("field missing from the index", "not found", "field", damage=lambda f, root: f.drop_field(root)),
    Row("index line past the end of the file", "corrupt", "field", damage=lambda f, root: f.field_past_end(root)),
    Row("message fails to decode (7777 zeroed)", "corrupt", "field", damage=lambda f, root: f.corrupt_field(root)),
]


# DWD serves whole files without an index: the name of each fault's analogue there, and the class it has
DWD_NAMES = {
    "body shorter than its range": "body shorter than its Content-Length",
    "data 404 (index present)": "file 404",
    "field missing from the index": "file holds another variable's field",
    "index line past the end of the file": "file cut short",
}
DWD_OUTCOMES: dict[str, Outcome] = {"field missing from the index": "corrupt"}


def applies(row: Row, family: type[FaultFamily]) -> bool:
    return family is not DwdFamily or not (row.on_index or row.fault == "index 404")


def fault_name(row: Row, family: type[FaultFamily]) -> str:
    name = row.fault
    if family is DwdFamily:
        for fault, analogue in DWD_NAMES.items():
            name = name.replace(fault, analogue)
    return name


def outcome_for(row: Row, family: type[FaultFamily]) -> Outcome:
    return DWD_OUTCOMES.get(row.fault, row.outcome) if family is DwdFamily else row.outcome


CASES = [
    pytest.param(row, family, id=f"{family.name}: {fault_name(row, family)}")
    for row in ROWS
    for family in FAMILIES
    if applies(row, family)
]


class Baseline(NamedTuple):
    family: FaultFamily
    ds: xr.Dataset
    results: dict[str, VariableResult]


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> Callable[[type[FaultFamily]], Baseline]:
    """Each family's archive and its clean run, built once."""
    built: dict[type[FaultFamily], Baseline] = {}

    def baseline(family_class: type[FaultFamily]) -> Baseline:
        if family_class not in built:
            family = family_class(tmp_path_factory.mktemp(family_class.name))
            server = FaultServer(family.archive)
            try:
                ds, results = family.process(server.base_url)
            finally:
                server.close()
            built[family_class] = Baseline(family, ds, results)
        return built[family_class]

    return baseline


def relative(entries: tuple[str, ...]) -> set[str]:
    """Listed entries without the loopback server's address (each run has its own port)."""
    return {re.sub(r"^http://127\.0\.0\.1:\d+/", "", entry) for entry in entries}


def nan_cells(family: FaultFamily, scope: Scope) -> dict[str, tuple[int, ...]]:
    """Per variable, where the fault's values are: the whole target file, or the HIT field only."""
    if scope == "field" or isinstance(family, DwdFamily):  # a DWD file holds one variable
        return {HIT: family.hit_cells()}
    return {name: family.cells(name) for name in NAMES}


@pytest.mark.parametrize(("row", "family_class"), CASES)
def test_fault(
    row: Row,
    family_class: type[FaultFamily],
    baselines: Callable[[type[FaultFamily]], Baseline],
    http_archive: Callable[[Path], FaultServer],
    source_cache: Path,
    tmp_path: Path,
) -> None:
    family, clean, clean_results = baselines(family_class)
    root = tmp_path / "archive"
    shutil.copytree(family.archive, root)
    if row.damage is not None:
        row.damage(family, root)
    server = http_archive(root)
    if isinstance(row.server_fault, Slow):
        configure_fetch(TEST_FETCH_SETTINGS.model_copy(update={"timeout_seconds": READ_TIMEOUT_SECONDS}))
    path = (family.index() if row.on_index else None) or family.target()
    if row.server_fault is not None:
        server.inject(path, row.server_fault, times=1 if row.outcome == "retried" else None)
    outcome = outcome_for(row, family_class)

    if outcome == "unavailable":
        with pytest.raises(SourceUnavailableError, match=r"\(after 3 retries\)"):
            family.process(server.base_url)
        assert len(server.requests_for(path)) >= 4  # the first try and 3 retries
        assert [p for p in source_cache.rglob("*") if p.is_file()] == []
        print(f"| {fault_name(row, family_class)} | {family.name} | unavailable | 3 | 0 |")
        return

    ds, results = family.process(server.base_url)

    cells = nan_cells(family, row.scope) if outcome != "retried" else {}
    nan_count = 0
    for name in NAMES:
        expected = clean[name].values.copy()
        if name in cells:
            assert np.isfinite(expected[cells[name]]).all(), "the fault's cells have values in the clean run"
            expected[cells[name]] = np.nan
            nan_count += expected[cells[name]].size // (expected.shape[-1] * expected.shape[-2])
        np.testing.assert_array_equal(ds[name].values, expected, err_msg=name)
        listed = {"not found": "not_found", "corrupt": "read_failed"}
        for kind, field in listed.items():
            new = relative(getattr(results[name], field)) - relative(getattr(clean_results[name], field))
            assert (name in cells and kind == outcome) == bool(new), (name, kind, new)
            assert all(entry.startswith(family.target(name)) for entry in new), new
    retried = {HIT} if isinstance(family, DwdFamily) else set(NAMES)
    expected_retries = {name: int(outcome == "retried" and name in retried) for name in NAMES}
    reported = {name: results[name].retries for name in NAMES}
    if isinstance(row.server_fault, Slow):  # on a loaded machine another request may outlast the short timeout too
        reported = {name: min(retries, 1) for name, retries in reported.items()}
    assert reported == expected_retries
    print(f"| {fault_name(row, family_class)} | {family.name} | {outcome} | {expected_retries[HIT]} | {nan_count} |")
