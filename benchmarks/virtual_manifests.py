"""Commit time and manifest bytes of a virtual dataset at 10^3, 10^5 and 10^6 references, with the manifest splitting
of noaa-gfs-forecast-virtual (every `manifest_split_size` init times) and without, then one more init time's files
committed on top (what each low-latency update commit costs at that size).

References look like GFS's: one array (init_time, lead_time, latitude, longitude) with one 0.25° message per chunk,
209 lead times per init, URLs of the public bucket, offsets ~1 MB apart, an ETag per file.
Run: `uv run python -m benchmarks.virtual_manifests [--sizes 1000 100000 1000000]`.
"""

import argparse
import math
import tempfile
import time
from pathlib import Path

import icechunk
import numpy as np
import pandas as pd
import zarr

from datasets.common.storage import split_manifests
from datasets.common.virtual.codec import GribCodec
from datasets.noaa.gfs.forecast.region_job import NoaaGfsForecastRegionJob
from datasets.noaa.gfs.forecast_virtual import noaa_gfs_forecast_virtual

LEADS = 209
START = pd.Timestamp("2021-05-01T00:00")
URL = (
    "https://noaa-gfs-bdp-pds.s3.amazonaws.com/gfs.{init:%Y%m%d}/{init:%H}/atmos/gfs.t{init:%H}z.pgrb2.0p25.f{lead:03d}"
)
MESSAGE_BYTES = 1_000_000


def set_init(store: icechunk.IcechunkStore, index: int, leads: int) -> None:
    init = START + pd.Timedelta(hours=6 * index)
    specs = [
        icechunk.VirtualChunkSpec(
            [index, lead, 0, 0],
            URL.format(init=init, lead=lead),
            40 * MESSAGE_BYTES,
            MESSAGE_BYTES + lead,
            etag_checksum=f'"{index:08x}{lead:04x}"',
        )
        for lead in range(leads)
    ]
    store.set_virtual_refs("field", specs, validate_containers=False)


def measure(references: int, split: bool, root: Path) -> tuple[float, int, int, float]:
    virtual = noaa_gfs_forecast_virtual().virtual
    assert virtual is not None
    config = split_manifests("init_time", virtual.manifest_split_size) if split else icechunk.RepositoryConfig.default()
    path = root / f"{references}-{'split' if split else 'whole'}"
    repo = icechunk.Repository.create(icechunk.local_filesystem_storage(str(path)), config=config)
    session = repo.writable_session("main")
    inits = math.ceil(references / LEADS)
    grid = NoaaGfsForecastRegionJob.grid
    zarr.create_array(
        session.store,
        name="field",
        shape=(inits + 1, LEADS, grid.nj, grid.ni),
        chunks=(1, 1, grid.nj, grid.ni),
        dtype="float32",
        serializer=GribCodec(grid=grid),
        compressors=None,
        fill_value=np.nan,
        dimension_names=["init_time", "lead_time", "latitude", "longitude"],
    )
    for index in range(inits):
        set_init(session.store, index, min(LEADS, references - index * LEADS))
    start = time.perf_counter()
    session.commit("references")
    commit = time.perf_counter() - start
    manifests = path / "manifests"
    size = sum(p.stat().st_size for p in manifests.rglob("*") if p.is_file())
    count = sum(1 for p in manifests.rglob("*") if p.is_file())
    session = repo.writable_session("main")
    set_init(session.store, inits, LEADS)
    start = time.perf_counter()
    session.commit("one more init")
    return commit, size, count, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    args = parser.parse_args()
    print(
        f"{'references':>10} {'splitting':>9} {'commit s':>9} {'manifest MB':>11} {'bytes/ref':>9} {'files':>6} {'+1 init commit s':>16}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for references in args.sizes:
            for split in (True, False):
                commit, size, count, update = measure(references, split, Path(tmp))
                print(
                    f"{references:>10} {'120 inits' if split else 'none':>9} {commit:>9.2f} {size / 1e6:>11.2f} "
                    f"{size / references:>9.1f} {count:>6} {update:>16.3f}"
                )


if __name__ == "__main__":
    main()
