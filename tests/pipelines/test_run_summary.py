import io
from collections.abc import Sequence

from rich.console import Console

from datasets.common.results import VariableResult
from pipelines.run_summary import LISTED_PER_GROUP, print_summary
from steps.join import JoinSummary

LONG = "downward_short_wave_radiation_flux_surface"
MISSING = [f"http://archive/gfs.t00z.pgrb2.0p25.f{h:03d}" for h in range(7, 17)]


def summary_text(variables: dict[str, VariableResult], verbose: bool = False, width: int = 80) -> str:
    out = io.StringIO()
    summary = JoinSummary(
        run_id="r", operation="backfill", published=True, snapshot="s", message="published backfill r",
        append_dim_extent=1, variables=variables,
    )  # fmt: skip
    print_summary(Console(file=out, width=width), summary, [], verbose=verbose)
    return out.getvalue()


def result(name: str, not_found: Sequence[str] = (), read_failed: Sequence[str] = ()) -> VariableResult:
    coverage = {"2021-05-01T00:00:00": {"lead_time": 0}}
    return VariableResult(
        name=name, succeeded=7, not_found=tuple(not_found), read_failed=tuple(read_failed), coverage=coverage
    )


def test_a_complete_run_shows_every_name_whole_and_no_failure_columns() -> None:
    text = summary_text({LONG: result(LONG), "temperature_2m": result("temperature_2m")})
    assert f" {LONG} " in text
    assert "not found" not in text
    assert "read failed" not in text
    assert "retries" not in text
    assert "2021-05-01T00:00" in text


def test_retried_source_requests_get_a_column() -> None:
    retried = result("temperature_2m").model_copy(update={"retries": 2})
    text = summary_text({"temperature_2m": retried, LONG: result(LONG)}, width=120)
    header = next(line for line in text.splitlines() if "variable" in line)
    assert "retries" in header
    assert [line.split()[2] for line in text.splitlines() if line.strip().startswith(("temperature_2m", LONG))] == [
        "0",
        "2",
    ]


def test_failures_are_grouped_by_the_variables_they_hit() -> None:
    variables = {
        LONG: result(LONG, not_found=MISSING),
        "temperature_2m": result("temperature_2m", not_found=MISSING),
        "pressure_reduced_to_mean_sea_level": result(
            "pressure_reduced_to_mean_sea_level", not_found=MISSING, read_failed=[f"{MISSING[0]}: corrupt"]
        ),
    }
    assert f" {LONG} " in summary_text(variables, width=120)
    text = summary_text(variables)  # at 80 columns the names wrap, and no column is dropped
    assert text.count("2021-05-01T00:00") == len(variables)
    assert all(f" {name[:12]}" in text for name in variables)
    assert text.count("not found: 10 source files for all 3 variables") == 1
    assert "read failed: 1 source files for pressure_reduced_to_mean_sea_level" in text
    assert [line for line in text.splitlines() if line.startswith("  not found ")] == [
        f"  not found {url}" for url in MISSING[:LISTED_PER_GROUP]
    ]
    assert f"… {len(MISSING) - LISTED_PER_GROUP} more (--verbose lists them" in text
    verbose = summary_text(variables, verbose=True)
    assert [line for line in verbose.splitlines() if line.startswith("  not found ")] == [
        f"  not found {url}" for url in MISSING
    ]
