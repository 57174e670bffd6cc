"""The two paths the GFS end-to-end benchmark compares ours with: what a user would write, and the floor."""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import eccodes
import icechunk
import numpy as np
import xarray as xr
import zarr

from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.transforms.rounding import round_for_storage
from datasets.noaa.gfs.forecast.template_config import GfsDataVar

LEAD_TIMES = 209


def cfgrib_filters(path: Path) -> list[dict[str, Any]]:
    """The keys a user would pass to cfgrib to pick each message of a file, in file order."""
    filters = []
    with path.open("rb") as f:
        while (handle := eccodes.codes_grib_new_from_file(f)) is not None:
            filters.append({key: eccodes.codes_get(handle, key) for key in ("shortName", "typeOfLevel", "level")})
            eccodes.codes_release(handle)
    return filters


def naive_path(paths: Sequence[Path], filters: Sequence[dict[str, Any]], names: Sequence[str], store: Path) -> None:
    """open_dataset(engine="cfgrib") per variable per file, concat along lead time, to_zarr into Icechunk."""
    arrays = {}
    for name, keys in zip(names, filters, strict=True):
        per_file = []
        for path in paths:
            backend_kwargs = {"filter_by_keys": keys, "indexpath": ""}
            with xr.open_dataset(path, engine="cfgrib", backend_kwargs=backend_kwargs) as ds:
                per_file.append(next(iter(ds.data_vars.values())).reset_coords(drop=True).load())
        arrays[name] = xr.concat(per_file, dim="step")
    session = icechunk.Repository.create(icechunk.local_filesystem_storage(str(store))).writable_session("main")
    xr.Dataset(arrays).to_zarr(session.store, mode="w", consolidated=False)
    session.commit("naive")


def floor_path(paths: Sequence[Path], data_vars: Sequence[GfsDataVar], store: Path, threads: int) -> None:
    """Only the necessary work: decode each message with eccodes, round, and write the same shards with zarr."""
    files = [path.read_bytes() for path in paths]
    ranges = [[m.byte_range for m in parse_idx(p.with_name(p.name + ".idx").read_text())] for p in paths]
    session = icechunk.Repository.create(icechunk.local_filesystem_storage(str(store))).writable_session("main")
    first = eccodes.codes_new_from_message(files[0][: ranges[0][0][1]])
    nj, ni = eccodes.codes_get_long(first, "Nj"), eccodes.codes_get_long(first, "Ni")
    eccodes.codes_release(first)
    arrays = {
        v.name: zarr.create_array(
            session.store,
            name=v.name,
            shape=(1, LEAD_TIMES, nj, ni),
            chunks=v.encoding.chunks,
            shards=v.encoding.shards,
            dtype=v.encoding.dtype,
            fill_value=v.encoding.fill_value,
            compressors=list(v.encoding.compressors),
        )
        for v in data_vars
    }

    def write_variable(index: int) -> None:
        buffer = np.empty((len(files), nj, ni), dtype=np.float32)
        half = ni // 2
        for lead, (data, file_ranges) in enumerate(zip(files, ranges, strict=True)):
            start, end = file_ranges[index]
            handle = eccodes.codes_new_from_message(data[start:end])
            values = eccodes.codes_get_values(handle).reshape(nj, ni)
            eccodes.codes_release(handle)
            buffer[lead, :, :half] = values[:, half:]
            buffer[lead, :, half:] = values[:, :half]
        round_for_storage(buffer, data_vars[index].internal_attrs)
        arrays[data_vars[index].name][0, : len(files)] = buffer

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write_variable, range(len(data_vars))))
    session.commit("floor")
