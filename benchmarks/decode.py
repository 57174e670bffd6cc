"""Decode throughput of byte-range GRIB2 messages on the 0.25 degree GFS grid (1440 x 721).

Writes a GFS-layout file of complex-packed messages, serves it on loopback HTTP, fetches every message by
byte range from its `.idx`, then times decoding with eccodes (one thread, a 2-thread pool) and cfgrib.
Run: `uv run python -m benchmarks.decode`.
"""

import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import xarray as xr

from datasets.common.sources.fetch import fetch_bytes, fetch_ranges, join_url
from datasets.common.sources.grib import ExpectedField, decode_message
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.sources.synthetic_archive import (
    ArchiveGrid,
    GribVariable,
    encode_message,
    expected_value,
    gfs_relative_path,
)
from datasets.common.timestamps import timedelta, timestamp
from pipelines.demo.range_server import RangeServer

GRID = ArchiveGrid(resolution=0.25)
INIT = timestamp("2024-01-01T00:00")
LEAD = timedelta("3h")
MESSAGES = 12
ROUNDS = 3


def write_archive(root: Path) -> str:
    """A file of MESSAGES temperature-like fields with small-scale noise, so packing sizes are realistic."""
    latitude, longitude = np.meshgrid(GRID.latitudes, GRID.longitudes, indexing="ij")
    rng = np.random.default_rng(0)
    relative = gfs_relative_path(INIT, LEAD)
    path = root / relative
    path.parent.mkdir(parents=True)
    lines, offset = [], 0
    with path.open("wb") as f:
        for height in range(MESSAGES):
            variable = GribVariable(
                element="TMP", level=f"{height + 1} m above ground", discipline=0, category=0, number=0,
                surface_type=103, surface_value=height + 1, offset=280, amplitude=25, fraction_bits=4,
            )  # fmt: skip
            smooth = expected_value(variable, INIT, LEAD, latitude, longitude)
            values = smooth + np.round(rng.normal(0, 0.8, smooth.shape) * 16) / 16
            message = encode_message(variable, INIT, LEAD, GRID, values)
            lines.append(f"{height + 1}:{offset}:d={INIT:%Y%m%d%H}:TMP:{variable.level}:3 hour fcst:")
            f.write(message)
            offset += len(message)
    path.with_name(path.name + ".idx").write_text("\n".join(lines) + "\n")
    return relative


def report(label: str, count: int, seconds: float, grib_bytes: int) -> None:
    print(
        f"{label:<28} {count / seconds:8.1f} msg/s {grib_bytes / seconds / 1e6:8.1f} MB/s GRIB "
        f"{count * GRID.ni * GRID.nj * 4 / seconds / 1e6:8.1f} MB/s float32 {1000 * seconds / count:7.1f} ms/msg"
    )


def time_eccodes(messages: Sequence[bytes], fields: Sequence[ExpectedField], threads: int) -> float:
    buffers = threading.local()
    spec = GRID.grid_spec()

    def decode(i: int) -> None:
        if not hasattr(buffers, "out"):
            buffers.out = np.empty((GRID.nj, GRID.ni), dtype=np.float32)
        decode_message(messages[i], spec, fields[i], out=buffers.out)

    work = [i for _ in range(ROUNDS) for i in range(len(messages))]
    decode(0)
    start = time.perf_counter()
    if threads == 1:
        for i in work:
            decode(i)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(decode, work))
    return time.perf_counter() - start


def time_cfgrib(messages: Sequence[bytes], folder: Path) -> float:
    paths = []
    for i, message in enumerate(messages):
        paths.append(folder / f"message-{i}.grib2")
        paths[-1].write_bytes(message)

    def load(path: Path) -> np.ndarray:
        with xr.open_dataset(path, engine="cfgrib", backend_kwargs={"indexpath": ""}) as ds:
            return next(iter(ds.data_vars.values())).values

    load(paths[0])
    start = time.perf_counter()
    for path in paths:
        load(path)
    return time.perf_counter() - start


def timed(label: str, action: Callable[[], float], count: int, grib_bytes: int) -> None:
    report(label, count, action(), grib_bytes)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "archive"
        relative = write_archive(root)
        server = RangeServer(root)
        try:
            url = join_url(server.base_url, relative)
            index = parse_idx(fetch_bytes(url + ".idx").decode())
            start = time.perf_counter()
            messages = fetch_ranges(url, [m.byte_range for m in index])
            fetch_seconds = time.perf_counter() - start
        finally:
            server.close()
        fields = [ExpectedField(element=m.element, level=m.level, forecast=m.forecast) for m in index]
        size = sum(len(m) for m in messages)
        print(
            f"{len(messages)} messages of {GRID.ni}x{GRID.nj}, complex packing with spatial differencing, "
            f"mean {size / len(messages) / 1e6:.2f} MB; loopback byte-range fetch {size / fetch_seconds / 1e6:.0f} MB/s"
        )
        count = len(messages) * ROUNDS
        timed("eccodes, 1 thread", lambda: time_eccodes(messages, fields, 1), count, size * ROUNDS)
        timed("eccodes, 2-thread pool", lambda: time_eccodes(messages, fields, 2), count, size * ROUNDS)
        cfgrib_folder = Path(tmp) / "cfgrib"
        cfgrib_folder.mkdir()
        timed("cfgrib (open_dataset)", lambda: time_cfgrib(messages, cfgrib_folder), len(messages), size)


if __name__ == "__main__":
    main()
