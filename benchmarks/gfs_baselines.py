"""The two paths the GFS end-to-end benchmark compares ours with: what a user would write, and the floor."""

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import eccodes
import icechunk
import numpy as np
import xarray as xr
import zarr
from zarr.storage import LocalStore

from datasets.common.region_job import worker_share
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
    """open_dataset(engine="cfgrib") per variable per file, concat along lead time, to_zarr into Icechunk.

    cfgrib's defaults, as a user would leave them: the first open of each file writes an index file beside it,
    later opens reuse it (start from a folder without them to measure a first run).
    """
    arrays = {}
    for name, keys in zip(names, filters, strict=True):
        per_file = []
        for path in paths:
            with xr.open_dataset(path, engine="cfgrib", backend_kwargs={"filter_by_keys": keys}) as ds:
                per_file.append(next(iter(ds.data_vars.values())).reset_coords(drop=True).load())
        arrays[name] = xr.concat(per_file, dim="step")
    session = icechunk.Repository.create(icechunk.local_filesystem_storage(str(store))).writable_session("main")
    xr.Dataset(arrays).to_zarr(session.store, mode="w", consolidated=False)
    session.commit("naive")


def floor_path(paths: Sequence[Path], data_vars: Sequence[GfsDataVar], store: Path, processes: int) -> None:
    """Only the necessary work, on every core: decode each message with eccodes, round, and write the same shards
    with zarr into a plain Zarr store (one process per block of variables: zarr's writes hold one core each)."""
    ranges = [[m.byte_range for m in parse_idx(p.with_name(p.name + ".idx").read_text())] for p in paths]
    with paths[0].open("rb") as f:
        handle = eccodes.codes_new_from_message(f.read(ranges[0][0][1] or -1))
    nj, ni = eccodes.codes_get_long(handle, "Nj"), eccodes.codes_get_long(handle, "Ni")
    eccodes.codes_release(handle)
    for v in data_vars:
        zarr.create_array(
            LocalStore(store),
            name=v.name,
            shape=(1, LEAD_TIMES, nj, ni),
            chunks=v.encoding.chunks,
            shards=v.encoding.shards,
            dtype=v.encoding.dtype,
            fill_value=v.encoding.fill_value,
            compressors=list(v.encoding.compressors),
        )
    indexes = list(range(len(data_vars)))
    blocks = [worker_share(indexes, i, processes) for i in range(processes)]
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(_write_variables, paths, ranges, [data_vars[i] for i in block], block, store)
            for block in blocks
        ]
        for future in futures:
            future.result()


def _write_variables(
    paths: Sequence[Path],
    ranges: Sequence[Sequence[tuple[int, int | None]]],
    data_vars: Sequence[GfsDataVar],
    indexes: Sequence[int],
    store: Path,
) -> None:
    for data_var, index in zip(data_vars, indexes, strict=True):
        buffer: np.ndarray | None = None
        for lead, (path, file_ranges) in enumerate(zip(paths, ranges, strict=True)):
            start, end = file_ranges[index]
            with path.open("rb") as f:
                f.seek(start)
                handle = eccodes.codes_new_from_message(f.read(-1 if end is None else end - start))
            nj, ni = eccodes.codes_get_long(handle, "Nj"), eccodes.codes_get_long(handle, "Ni")
            values = eccodes.codes_get_values(handle).reshape(nj, ni)
            eccodes.codes_release(handle)
            if buffer is None:
                buffer = np.empty((len(paths), nj, ni), dtype=np.float32)
            buffer[lead, :, : ni // 2] = values[:, ni // 2 :]
            buffer[lead, :, ni // 2 :] = values[:, : ni // 2]
        assert buffer is not None
        round_for_storage(buffer, data_var.internal_attrs)
        zarr.open_array(LocalStore(store), path=data_var.name, mode="r+")[0, : len(paths)] = buffer
