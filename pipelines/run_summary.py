"""A run's summary for a person: one row per variable (names never cut; failure and retry columns only when
something failed or was retried), then the failures grouped by the variables they hit — counts and the first few
source files; `verbose` lists every one."""

from collections import defaultdict
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from datasets.common.results import VariableResult
from steps.join import JoinSummary
from steps.write import WriteSummary

LISTED_PER_GROUP = 3
FAILURE_KINDS = ("not found", "read failed")


def _failures(result: VariableResult, kind: str) -> tuple[str, ...]:
    return result.not_found if kind == "not found" else result.read_failed


def print_summary(
    console: Console, summary: JoinSummary, writes: Sequence[WriteSummary], *, verbose: bool = False
) -> None:
    variables = sorted(summary.variables.items())
    failing = [kind for kind in FAILURE_KINDS if any(_failures(r, kind) for _, r in variables)]
    table = Table(title=summary.message, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    retried = any(r.retries for _, r in variables)  # source requests retried (5xx, throttling, resets, timeouts)
    counts = ["files ok", *failing, *(["retries"] if retried else [])]
    # Counts and times never wrap; the names fold (wrap) when the console is too narrow for them: nothing is cut.
    table.add_column("variable", overflow="fold", min_width=12)
    for column in counts:
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("last written", no_wrap=True)
    for name, result in variables:
        last = result.last_append_dim_value
        counts = [str(len(_failures(result, kind))) for kind in failing] + ([str(result.retries)] if retried else [])
        table.add_row(name, str(result.succeeded), *counts, f"{last:%Y-%m-%dT%H:%M}" if last is not None else "-")
    console.print(table)
    skipped = sum(w.jobs_skipped for w in writes)
    if skipped:
        console.print(f"resumed: {skipped} jobs already done were skipped")
    for kind in failing:
        _print_failures(console, kind, variables, verbose)


def _print_failures(console: Console, kind: str, variables: list[tuple[str, VariableResult]], verbose: bool) -> None:
    """Variables that failed on the very same source files share one group."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name, result in variables:
        if entries := _failures(result, kind):
            groups[tuple(sorted(entries))].append(name)
    for entries, names in sorted(groups.items(), key=lambda group: (-len(group[1]), group[1])):
        who = f"all {len(names)} variables" if len(names) == len(variables) > 1 else ", ".join(names)
        console.print(f"[yellow]{kind}[/yellow]: {len(entries)} source files for {who}", highlight=False)
        shown = entries if verbose else entries[:LISTED_PER_GROUP]
        for entry in shown:
            console.print(f"  {kind} {entry}", soft_wrap=True, highlight=False)
        if len(entries) > len(shown):
            console.print(
                f"  … {len(entries) - len(shown)} more (--verbose lists them, --json PATH writes the summary)",
                highlight=False,
            )
