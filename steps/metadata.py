import asyncio
from typing import Any

import numpy as np
import xarray as xr
import zarr
from zarr.abc.store import Store
from zarr.core.buffer import Buffer
from zarr.storage import MemoryStore

from datasets.common.errors import UserInputError


def render_metadata(template_ds: xr.Dataset) -> dict[str, Buffer]:
    """Every zarr.json and coordinate chunk of the template, as the store keys and bytes to write."""
    rendered: dict[str, Buffer] = {}
    template_ds.to_zarr(MemoryStore(rendered), mode="w", compute=False, zarr_format=3, consolidated=False)
    return rendered


def write_metadata(template_ds: xr.Dataset, store: Store) -> None:
    """Write the template's metadata and coordinates; never touch data-variable chunks."""

    async def copy() -> None:
        for key, value in render_metadata(template_ds).items():
            await store.set(key, value)

    asyncio.run(copy())


def open_published(store: Store) -> xr.Dataset | None:
    try:
        ds = xr.open_zarr(store, consolidated=False, chunks=None, decode_timedelta=True)
    except FileNotFoundError:
        return None
    return ds if ds.data_vars else None


def published_extent(store: Store, append_dim: str) -> int:
    """Length of the append dim in `store` (0 if nothing is there), without decoding the dataset."""
    try:
        return zarr.open_array(store, path=append_dim, mode="r", zarr_format=3).shape[0]
    except FileNotFoundError:
        return 0


def _structure(ds: xr.Dataset) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, var in ds.variables.items():
        encoding = var.encoding
        result[str(name)] = {
            "dims": var.dims,
            "dtype": str(encoding.get("dtype", var.dtype)),
            "chunks": tuple(encoding.get("chunks") or ()),
            "shards": tuple(encoding.get("shards") or ()),
        }
    return result


def check_no_structural_drift(published: xr.Dataset, template: xr.Dataset, append_dim: str) -> None:
    """Refuse changes to a published variable's dims/dtype/chunks/shards or to non-append coordinate values."""
    published_structure = _structure(published)
    template_structure = _structure(template)
    for name, expected in published_structure.items():
        if name not in template_structure:
            raise UserInputError(f"refusing: published variable {name!r} is missing from the template")
        for key in ("dims", "dtype", "chunks", "shards"):
            if template_structure[name][key] != expected[key]:
                raise UserInputError(
                    f"refusing: {name} {key} would change from {expected[key]} to {template_structure[name][key]}"
                )
    for name in published.coords:
        var = published[name]
        if append_dim in var.dims or name not in template.coords:
            continue
        if not np.array_equal(var.values, template[name].values):
            raise UserInputError(f"refusing: coordinate {name!r} values differ from the published dataset")


def check_no_shrink(published: xr.Dataset | None, final: xr.Dataset, append_dim: str) -> None:
    if published is None:
        return
    if final.sizes[append_dim] < published.sizes[append_dim]:
        raise UserInputError(
            f"refusing to shrink {append_dim} from {published.sizes[append_dim]} to {final.sizes[append_dim]} positions"
        )


def attributes_differ(published: xr.Dataset, template: xr.Dataset) -> list[str]:
    differing = [] if published.attrs == template.attrs else ["dataset attributes"]
    for name in published.variables:
        if name in template.variables and published[name].attrs != template[name].attrs:
            differing.append(str(name))
    return differing
