"""The hypercubes cfgrib/xarray builds from a GRIB file (`cfgrib.open_datasets`), summarised."""

import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError
from pipelines.authoring.grib_fields import GribField

GRID_ATTRS = (
    *("gridType", "Nx", "Ny", "iScansNegatively", "jScansPositively", "jPointsAreConsecutive"),
    *("latitudeOfFirstGridPointInDegrees", "longitudeOfFirstGridPointInDegrees"),
    *("latitudeOfLastGridPointInDegrees", "longitudeOfLastGridPointInDegrees"),
    *("iDirectionIncrementInDegrees", "jDirectionIncrementInDegrees", "DxInMetres", "DyInMetres"),
    *("LaDInDegrees", "LoVInDegrees", "Latin1InDegrees", "Latin2InDegrees"),
)


class CubeCoordinate(FrozenBaseModel):
    name: str
    dims: tuple[str, ...]
    size: int
    first: Any
    last: Any


class CubeVariable(FrozenBaseModel):
    name: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    attrs: dict[str, Any]
    levels: tuple[float, ...] | None  # values of the coordinate named by GRIB_typeOfLevel
    steps_hours: tuple[float, ...] | None

    def holds(self, field: GribField) -> bool:
        keys = field.keys
        same = all(self.attrs.get(f"GRIB_{key}") == keys.get(key) for key in ("shortName", "typeOfLevel", "stepType"))
        level, step_end = keys.get("level"), keys.get("stepRange", "").split("-")[-1]
        if self.levels is not None and level is not None and not np.isclose(self.levels, float(level)).any():
            return False
        if self.steps_hours is not None and step_end and float(step_end) not in self.steps_hours:
            return False
        return same


class Hypercube(FrozenBaseModel):
    index: int
    dims: dict[str, int]
    variables: tuple[CubeVariable, ...]
    coordinates: tuple[CubeCoordinate, ...]
    grid: dict[str, Any]
    attrs: dict[str, Any]


def plain(value: Any) -> Any:
    """A JSON-able, readable form of an attribute or coordinate value."""
    match value:
        case np.datetime64() | pd.Timestamp():
            return pd.Timestamp(value).isoformat()
        case np.timedelta64() | pd.Timedelta():
            return f"{pd.Timedelta(value).total_seconds() / 3600:g}h"
        case np.generic():
            return value.item()
        case str() | int() | float() | bool() | None:
            return value
        case _:
            return str(value)


def _values(ds: xr.Dataset, name: str | None) -> np.ndarray | None:
    if name is None or name not in ds.coords:
        return None
    return np.atleast_1d(ds.coords[name].values)


def _variable(ds: xr.Dataset, name: str) -> CubeVariable:
    variable = ds[name]
    levels = _values(ds, variable.attrs.get("GRIB_typeOfLevel"))
    steps = _values(ds, "step")
    return CubeVariable(
        name=name,
        dims=tuple(str(d) for d in variable.dims),
        shape=variable.shape,
        attrs={k: plain(v) for k, v in variable.attrs.items() if k.removeprefix("GRIB_") not in GRID_ATTRS},
        levels=tuple(float(v) for v in levels) if levels is not None and levels.dtype.kind in "iuf" else None,
        steps_hours=tuple(pd.Timedelta(v).total_seconds() / 3600 for v in steps) if steps is not None else None,
    )


def _coordinate(ds: xr.Dataset, name: str) -> CubeCoordinate:
    values = np.atleast_1d(ds.coords[name].values)
    return CubeCoordinate(
        name=name,
        dims=tuple(str(d) for d in ds.coords[name].dims),
        size=values.size,
        first=plain(values.flat[0]),
        last=plain(values.flat[-1]),
    )


def summarise(index: int, ds: xr.Dataset) -> Hypercube:
    names = [str(name) for name in ds.data_vars]
    first = ds[names[0]].attrs if names else {}
    return Hypercube(
        index=index,
        dims={str(k): int(v) for k, v in ds.sizes.items()},
        variables=tuple(_variable(ds, name) for name in names),
        coordinates=tuple(_coordinate(ds, str(name)) for name in ds.coords),
        grid={key: plain(first[f"GRIB_{key}"]) for key in GRID_ATTRS if f"GRIB_{key}" in first},
        attrs={k: plain(v) for k, v in ds.attrs.items()},
    )


def open_hypercubes(path: Path) -> list[Hypercube]:
    """What `cfgrib.open_datasets` makes of the file (its index kept in a temporary folder)."""
    try:
        import cfgrib  # a development dependency; imported here, after pyproj (see datasets/__init__.py)
    except ImportError:
        raise UserInputError("inspect-grib needs cfgrib: install the development dependencies (uv sync)") from None
    logging.getLogger("cfgrib").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as index_dir, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opened = cfgrib.open_datasets(str(path), backend_kwargs={"indexpath": f"{index_dir}/{{short_hash}}.idx"})
        try:
            return [summarise(index, ds) for index, ds in enumerate(opened, 1)]
        finally:
            for ds in opened:
                ds.close()


def assign_hypercubes(fields: list[GribField], cubes: list[Hypercube]) -> list[GribField]:
    """Each field with the index of the hypercube that holds it (None: cfgrib left it out)."""
    return [
        field.model_copy(
            update={
                "hypercube": next((cube.index for cube in cubes if any(v.holds(field) for v in cube.variables)), None)
            }
        )
        for field in fields
    ]
