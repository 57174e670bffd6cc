from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import xarray as xr


@dataclass(frozen=True)
class RegionLayout:
    """Where each source file's values go in a processing region's buffer.

    The buffer stops after the last position that has a downloaded source file along every dim a source file
    locates (except the append dim): forecasts whose later lead times are not out yet cost only what exists.
    """

    dims: tuple[str, ...]
    coords: Mapping[Any, xr.DataArray]
    shape: tuple[int, ...]
    positions: tuple[tuple[int | slice, ...] | None, ...]
    # Dims no source file locates (nor the append dim): each source file's values span them whole
    field_dims: tuple[str, ...]

    @classmethod
    def build(
        cls,
        processing_ds: xr.Dataset,
        var_names: Sequence[str],
        out_locs: Sequence[Mapping[str, Any]],
        downloaded: Sequence[bool],
    ) -> "RegionLayout":
        template_var = processing_ds[var_names[0]]
        dims = tuple(str(d) for d in template_var.dims)
        assert all(processing_ds[n].dims == template_var.dims for n in var_names), "a group's variables share dims"
        indexes = [
            {dim: _position(processing_ds.indexes[dim], value) for dim, value in out_loc.items()}
            for out_loc in out_locs
        ]
        append_dim = dims[0]
        located = {dim for index in indexes for dim in index if dim != append_dim}
        stops = {
            dim: max((index[dim] + 1 for index, done in zip(indexes, downloaded, strict=True) if done), default=0)
            for dim in located
        }
        cropped = template_var.isel({dim: slice(0, stop) for dim, stop in stops.items()})
        positions = tuple(
            tuple(index.get(dim, slice(None)) for dim in dims) if done else None
            for index, done in zip(indexes, downloaded, strict=True)
        )
        field_dims = tuple(dim for dim in dims if dim != append_dim and all(dim not in index for index in indexes))
        return cls(
            dims=dims, coords=dict(cropped.coords), shape=cropped.shape, positions=positions, field_dims=field_dims
        )

    def block(self, block: Mapping[str, slice]) -> "RegionLayout":
        """The layout of `block` (slices of field dims): source files keep their positions along the other dims."""
        assert set(block) <= set(self.field_dims), f"{tuple(block)} are not all field dims {self.field_dims}"
        coords = {
            name: coord.isel({dim: s for dim, s in block.items() if dim in coord.dims})
            for name, coord in self.coords.items()
        }
        shape = tuple(
            len(range(*block[dim].indices(n))) if dim in block else n
            for dim, n in zip(self.dims, self.shape, strict=True)
        )
        return replace(self, coords=coords, shape=shape)


def _position(index: pd.Index, value: Any) -> int:
    position = index.get_loc(value)
    assert isinstance(position, int), f"{index.name} has {value!r} more than once"
    return position
