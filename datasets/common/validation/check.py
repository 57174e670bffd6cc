from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from zarr.abc.store import Store

from datasets.common.config_models import FrozenBaseModel
from datasets.common.timestamps import timestamp


class CheckResult(FrozenBaseModel):
    """One row of a validation report. `positions` are the append-dim values (ISO) found at fault."""

    check: str
    variable: str | None = None
    passed: bool
    message: str
    positions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplicaView:
    url: str
    ds: xr.Dataset | None
    error: str | None = None


@dataclass(frozen=True)
class ValidationTarget:
    """What readers see: the dataset on `main`, its store (for listing shards) and the replicas."""

    ds: xr.Dataset
    store: Store
    append_dim: str
    append_dim_start: pd.Timestamp
    append_dim_frequency: pd.Timedelta
    now: pd.Timestamp
    no_hour_0_variables: frozenset[str] = frozenset()
    replicas: tuple[ReplicaView, ...] = ()

    @property
    def positions(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.ds[self.append_dim].values)

    def variables(self, names: Sequence[str]) -> list[str]:
        present = sorted(str(name) for name in self.ds.data_vars)
        unknown = [name for name in names if name not in present]
        assert not unknown, f"validator names unknown variables {unknown} (dataset has {present})"
        return list(names) or present


class Validator(FrozenBaseModel, ABC):
    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def run(self, target: ValidationTarget) -> list[CheckResult]: ...

    def result(
        self, passed: bool, message: str, variable: str | None = None, positions: Sequence[str] = ()
    ) -> CheckResult:
        return CheckResult(
            check=self.name, variable=variable, passed=passed, message=message, positions=tuple(positions)
        )


def iso(value: object) -> str:
    return timestamp(value).isoformat()


def describe_positions(values: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(values[:limit])
    return f"{shown} and {len(values) - limit} more" if len(values) > limit else shown


def positions_of(target: ValidationTarget, indices: np.ndarray | Sequence[int]) -> list[str]:
    values = target.positions
    return [iso(values[int(i)]) for i in indices]
