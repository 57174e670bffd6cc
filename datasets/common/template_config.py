import functools
import hashlib
import inspect
import json
import shutil
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dask.array
import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import (
    Coordinate,
    DatasetAttributes,
    DataVar,
    FrozenBaseModel,
    unique_names,
)
from datasets.common.dataset_card import card_table

type CoordinateValues = xr.DataArray | tuple[tuple[str, ...], Any]


class TemplateConfig[DV: DataVar[Any]](FrozenBaseModel):
    dims: tuple[str, ...]
    append_dim: str
    append_dim_start: pd.Timestamp
    append_dim_frequency: pd.Timedelta
    # Where the rendered template lives; None: templates/ beside the config's module (checked in)
    template_dir: Path | None = None

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        """From the `[attributes]` of the dataset's `dataset.toml`; `{append_dim_start}` in a value is filled in."""
        start = self.append_dim_start.isoformat()
        table = card_table(type(self), "attributes")
        return DatasetAttributes(**{k: v.format(append_dim_start=start) for k, v in table.items()})

    @property
    @abstractmethod
    def coords(self) -> Sequence[Coordinate]: ...

    @property
    @abstractmethod
    def data_vars(self) -> Sequence[DV]: ...

    @abstractmethod
    def dimension_coordinates(self) -> dict[str, Any]:
        """Values of every dimension coordinate; the append dim holds only its first value."""

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        return {}

    @property
    def dataset_id(self) -> str:
        return self.dataset_attributes.dataset_id

    def template_path(self) -> Path:
        folder = self.template_dir or Path(inspect.getfile(type(self))).parent / "templates"
        return folder / "latest.zarr"

    def append_dim_coordinates(self, end: pd.Timestamp) -> pd.DatetimeIndex:
        return pd.date_range(
            self.append_dim_start, end, freq=self.append_dim_frequency, inclusive="left", name=self.append_dim
        )

    def first_append_dim_coordinate(self) -> pd.DatetimeIndex:
        """The append dim as `dimension_coordinates()` holds it: its first value only."""
        return self.append_dim_coordinates(self.append_dim_start + self.append_dim_frequency)

    def data_var(self, name: str) -> DV:
        matches = [v for v in self.data_vars if v.name == name]
        assert len(matches) == 1, f"no single data variable named {name!r}"
        return matches[0]

    def build_template(self) -> xr.Dataset:
        unique_names(self.data_vars)
        unique_names(self.coords)
        dim_coords = self.dimension_coordinates()
        assert tuple(dim_coords) == self.dims, f"dimension_coordinates keys {tuple(dim_coords)} != dims {self.dims}"
        assert self.append_dim == self.dims[0], "the append dim comes first"
        ds = xr.Dataset(coords={dim: (dim, np.asarray(values)) for dim, values in dim_coords.items()})
        for var in self.data_vars:
            assert len(var.encoding.chunks) == len(self.dims), f"{var.name}: chunks must cover {self.dims}"
            ds[var.name] = _lazy_fill(self.dims, ds.sizes, var)
        ds = ds.assign_coords(self.derive_coordinates(ds))
        return self._apply_metadata(ds)

    def _apply_metadata(self, ds: xr.Dataset) -> xr.Dataset:
        configured = {c.name for c in self.coords}
        assert configured == set(ds.coords), (
            f"coords config {sorted(configured)} != coordinates built {sorted(map(str, ds.coords))}"
        )
        for coord in self.coords:
            ds[coord.name].attrs = coord.attrs.to_dict()
            ds[coord.name].encoding = coord.encoding.to_xarray_encoding()
        for var in self.data_vars:
            ds[var.name].attrs = var.attrs.model_dump(exclude_none=True)
            ds[var.name].encoding = var.encoding.to_xarray_encoding()
        ds.attrs = self.dataset_attributes.model_dump(exclude_none=True)
        return ds

    def update_template(self, path: Path | None = None) -> Path:
        path = path or self.template_path()
        template = self.build_template()  # before removing the old one: a config that fails leaves it in place
        if path.exists():
            shutil.rmtree(path)
        template.to_zarr(path, mode="w", compute=False, zarr_format=3, consolidated=False)
        sort_zarr_json(path)
        return path

    def template_digest(self) -> str:
        """Identifies the checked-in template: equal digests, equal structure and metadata."""
        path = self.template_path()
        return _digest(path, _modification_stamp(path))

    def get_template(self, append_dim_end: pd.Timestamp) -> xr.Dataset:
        path = self.template_path()
        stored = _stored_template(path, _modification_stamp(path))
        append_values = self.append_dim_coordinates(append_dim_end)
        fixed_coords = {dim: stored[dim].values for dim in self.dims if dim != self.append_dim}
        ds = xr.Dataset(coords={self.append_dim: append_values, **fixed_coords})
        ds = ds.assign_coords(
            {
                name: stored[name].variable.copy(deep=False)
                for name in stored.coords
                if self.append_dim not in stored[name].dims and name not in ds.coords
            }
        )
        for name, stored_var in stored.data_vars.items():
            fill = stored_var.encoding.get("fill_value", np.nan)
            shape = tuple(ds.sizes[d] for d in stored_var.dims)
            ds[name] = xr.Variable(stored_var.dims, _lazy_full(shape, fill, stored_var.dtype))
        ds = ds.assign_coords(self.derive_coordinates(ds))
        for name in [*stored.coords, *stored.data_vars]:
            ds[name].attrs = stored[name].attrs
            ds[name].encoding = stored[name].encoding
        ds.attrs = stored.attrs
        return ds


def _modification_stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(path.rglob("*")) if p.is_file())


@functools.lru_cache(maxsize=16)
def _stored_template(path: Path, stamp: tuple[tuple[str, int, int], ...]) -> xr.Dataset:
    """The checked-in template with its coordinates in memory, read once per process (and per rewrite)."""
    return read_template(path)


def read_template(store: Any) -> xr.Dataset:
    """A template stored as Zarr (a path or a zarr store): coordinates in memory, data variables lazy fills with
    their encoding, so that nothing keeps the store open and writing its metadata writes no data chunk."""
    with xr.open_zarr(store, chunks=None, decode_timedelta=True, consolidated=False) as opened:
        stored = opened.copy()
        for name in stored.coords:
            stored[name].load()
        for name, var in opened.data_vars.items():
            stored[name] = var.copy(data=_lazy_full(var.shape, var.encoding.get("fill_value", np.nan), var.dtype))
    return stored


@functools.lru_cache(maxsize=16)
def _digest(path: Path, stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _, _ in stamp:
        digest.update(Path(name).relative_to(path).as_posix().encode())
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()[:16]


def _lazy_fill(dims: tuple[str, ...], sizes: Any, var: DataVar[Any]) -> xr.Variable:
    shape = tuple(sizes[d] for d in dims)
    return xr.Variable(dims, _lazy_full(shape, var.encoding.fill_value, np.dtype(var.encoding.dtype)))


def _lazy_full(shape: tuple[int, ...], fill: Any, dtype: np.dtype) -> dask.array.Array:
    # named by what it holds: dask would otherwise hash every call's arguments, a measurable cost per template
    return dask.array.full(shape, fill, dtype=dtype, chunks=-1, name=f"full-{dtype}-{fill}-{'x'.join(map(str, shape))}")


def sort_zarr_json(path: Path) -> None:
    for metadata_file in sorted(path.rglob("zarr.json")):
        content = json.loads(metadata_file.read_text())
        metadata_file.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
