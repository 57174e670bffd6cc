from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.timestamps import timestamp


class SourceFileStatus(StrEnum):
    not_found = "not_found"
    read_failed = "read_failed"


class SourceFault(FrozenBaseModel):
    """Why a source file, or one field of it, gave no values: the cells it feeds stay NaN and are listed."""

    status: SourceFileStatus
    message: str

    @classmethod
    def of(cls, error: SourceNotFoundError | SourceReadError) -> "SourceFault":
        status = SourceFileStatus.not_found if isinstance(error, SourceNotFoundError) else SourceFileStatus.read_failed
        return cls(status=status, message=str(error))

    def error(self) -> SourceNotFoundError | SourceReadError:
        if self.status == SourceFileStatus.not_found:
            return SourceNotFoundError(self.message)
        return SourceReadError(self.message)


def to_json_value(value: Any) -> Any:
    match value:
        case pd.Timestamp() | datetime() | np.datetime64():
            return pd.Timestamp(value).isoformat()
        case pd.Timedelta() | timedelta() | np.timedelta64():
            return int(pd.Timedelta(value).total_seconds())
        case np.integer():
            return int(value)
        case np.floating():
            return float(value)
        case _:
            return value


class VariableResult(FrozenBaseModel):
    """What happened to one data variable in one or more region jobs. JSON-able and mergeable."""

    name: str
    succeeded: int = 0
    not_found: tuple[str, ...] = ()
    read_failed: tuple[str, ...] = ()
    # append-dim value (ISO) -> the largest value of each other out_loc dim among succeeded source files
    coverage: dict[str, dict[str, Any]] = {}
    counters: dict[str, int] = {}
    # Source requests retried (after a 5xx or 429, a throttling page, a reset, a short body, a timeout) while
    # fetching the files of this variable's group
    retries: int = 0

    @property
    def last_append_dim_value(self) -> pd.Timestamp | None:
        return max((timestamp(v) for v in self.coverage), default=None)

    def merge(self, other: "VariableResult") -> "VariableResult":
        return VariableResult.combine([self, other])

    @classmethod
    def combine(cls, parts: Sequence["VariableResult"]) -> "VariableResult":
        """The results of one variable from many jobs, in one pass (merging pairwise copies the coverage each time)."""
        assert parts, "nothing to combine"
        for part in parts:
            assert part.name == parts[0].name, f"cannot merge results of {parts[0].name} and {part.name}"
        coverage: dict[str, dict[str, Any]] = {}
        counters: dict[str, int] = {}
        for part in parts:
            for key, maxima in part.coverage.items():
                existing = coverage.setdefault(key, {})
                for dim, value in maxima.items():
                    existing[dim] = value if dim not in existing else max(existing[dim], value)
            for key, count in part.counters.items():
                counters[key] = counters.get(key, 0) + count
        return cls(
            name=parts[0].name,
            succeeded=sum(p.succeeded for p in parts),
            not_found=tuple(f for p in parts for f in p.not_found),
            read_failed=tuple(f for p in parts for f in p.read_failed),
            coverage=coverage,
            counters=counters,
            retries=sum(p.retries for p in parts),
        )


def build_variable_result(
    name: str,
    append_dim: str,
    outcomes: Iterable[tuple[str, Mapping[str, Any], SourceFault | None]],
    counters: Mapping[str, int],
    retries: int = 0,
) -> VariableResult:
    """Per source file: its URL, out_loc and why it gave no values (None: it did). A fault without a message (a
    whole file missing) is listed by its URL alone, any other as `URL: message`."""
    succeeded = 0
    not_found: list[str] = []
    read_failed: list[str] = []
    coverage: dict[str, dict[str, Any]] = {}
    for url, out_loc, fault in outcomes:
        if fault is None:
            succeeded += 1
            key = to_json_value(timestamp(out_loc[append_dim]))
            maxima = coverage.setdefault(key, {})
            for dim, value in out_loc.items():
                if dim == append_dim:
                    continue
                json_value = to_json_value(value)
                maxima[dim] = json_value if dim not in maxima else max(maxima[dim], json_value)
            continue
        entry = f"{url}: {fault.message}" if fault.message else url
        (not_found if fault.status == SourceFileStatus.not_found else read_failed).append(entry)
    return VariableResult(
        name=name,
        succeeded=succeeded,
        not_found=tuple(not_found),
        read_failed=tuple(read_failed),
        coverage=coverage,
        counters=dict(counters),
        retries=retries,
    )


def merge_results(results: Iterable[Mapping[str, VariableResult]]) -> dict[str, VariableResult]:
    parts: dict[str, list[VariableResult]] = {}
    for result in results:
        for name, variable_result in result.items():
            parts.setdefault(name, []).append(variable_result)
    return {name: v[0] if len(v) == 1 else VariableResult.combine(v) for name, v in parts.items()}
