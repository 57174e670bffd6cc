"""How a region job's variables are grouped: variables read from the same source files are downloaded together."""

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from datasets.common.config_models import DataVar


def group_variables[DV: DataVar[Any]](
    data_vars: Sequence[DV], key: Callable[[DV], Hashable], size: int
) -> list[list[DV]]:
    """Variables with the same key together (e.g. read from the same files), at most `size` at a time."""
    groups: dict[Hashable, list[DV]] = {}
    for var in data_vars:
        groups.setdefault(key(var), []).append(var)
    return [group[i : i + size] for group in groups.values() for i in range(0, len(group), size)]
