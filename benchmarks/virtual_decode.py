"""Per-chunk read time of a virtual dataset on the full 0.25° GFS grid (1440 x 721): one Icechunk virtual reference
per message, served over loopback HTTP, read through zarr with this project's codec (`reformatters.grib2`, eccodes)
and with the gribberish package's codec on the same references; plus each decoder alone on bytes in memory, and a
check that gribberish returns exactly eccodes' values.

Run: `uv run python -m benchmarks.virtual_decode` (gribberish is not a dependency: `uv run --with gribberish ...`
adds it; without it only eccodes is measured).
"""

import importlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import icechunk
import numpy as np
import zarr

from benchmarks.decode import GRID, ROUNDS, write_archive
from datasets.common.sources.grib import decode_message
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.timestamps import timedelta
from datasets.common.virtual.codec import GribCodec
from datasets.common.virtual.config import VirtualConfig
from pipelines.demo.range_server import RangeServer


def gribberish_module() -> Any:
    try:
        return importlib.import_module("gribberish")
    except ImportError:
        return None


def virtual_array(server: RangeServer, relative: str, messages: list[tuple[int, int]], serializer: Any) -> zarr.Array:
    config = VirtualConfig(source_prefixes=(), manifest_split_size=120, update_lookback=timedelta("6h"))
    options = config.repository_options(server.base_url, "init_time")
    repo = icechunk.Repository.create(
        icechunk.in_memory_storage(),
        config=options["repository_config"],
        authorize_virtual_chunk_access=options["authorize_virtual_chunk_access"],
    )
    session = repo.writable_session("main")
    array = zarr.create_array(
        session.store,
        name="field",
        shape=(len(messages), GRID.nj, GRID.ni),
        chunks=(1, GRID.nj, GRID.ni),
        dtype="float32",
        serializer=serializer,
        compressors=None,
        fill_value=np.nan,
    )
    for i, (start, length) in enumerate(messages):
        session.store.set_virtual_ref(f"field/c/{i}/0/0", f"{server.base_url}/{relative}", offset=start, length=length)
    return array


def per_chunk_ms(read: Callable[[int], Any], count: int) -> float:
    read(0)
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for i in range(count):
            read(i)
    return 1000 * (time.perf_counter() - start) / (ROUNDS * count)


def main() -> None:
    gribberish = gribberish_module()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        relative = write_archive(root)
        data = (root / relative).read_bytes()
        index = parse_idx((root / f"{relative}.idx").read_text())
        ranges = [(m.start, (m.end or len(data)) - m.start) for m in index]
        messages = [data[start : start + length] for start, length in ranges]
        print(
            f"{len(messages)} messages of {GRID.ni}x{GRID.nj}, mean {len(data) / len(messages) / 1e6:.2f} MB, {ROUNDS} rounds"
        )
        spec = GRID.grid_spec()
        print(
            f"eccodes decode_message, bytes in memory:   {per_chunk_ms(lambda i: decode_message(messages[i], spec), len(messages)):6.1f} ms/message"
        )
        server = RangeServer(root)
        try:
            ours = virtual_array(server, relative, ranges, GribCodec(grid=spec))
            print(
                f"zarr read, reformatters.grib2 (eccodes):    {per_chunk_ms(lambda i: ours[i], len(messages)):6.1f} ms/chunk"
            )
            print(
                f"zarr read of all {len(messages)} chunks at once (eccodes): {1000 * timed(lambda: ours[:]) / len(messages):6.1f} ms/chunk"
            )
            if gribberish is None:
                print("gribberish: not installed (uv run --with gribberish python -m benchmarks.virtual_decode)")
                return
            parse = gribberish.parse_grib_array
            print(
                f"gribberish parse_grib_array, in memory:     {per_chunk_ms(lambda i: parse(messages[i], 0, False, False), len(messages)):6.1f} ms/message"
            )
            theirs = virtual_array(server, relative, ranges, {"name": "gribberish", "configuration": {"var": "field"}})
            print(
                f"zarr read, gribberish codec:                {per_chunk_ms(lambda i: theirs[i], len(messages)):6.1f} ms/chunk"
            )
            print(
                f"zarr read of all {len(messages)} chunks at once (gribberish): {1000 * timed(lambda: theirs[:]) / len(messages):6.1f} ms/chunk"
            )
            same = all(np.array_equal(ours[i], theirs[i], equal_nan=True) for i in range(len(messages)))
            print(f"gribberish values identical to eccodes': {same}")
        finally:
            server.close()


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
