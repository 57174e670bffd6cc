"""Peak RSS of one GEFS region job on the real grid: one variable, 31 members, the real 181-lead template.

Writes `s` (0.25 degree) files for leads 0 and 3 and `a` (0.5 degree, regridded) files for lead 246 for every
member, serves them on loopback HTTP (the other leads answer 404), runs the job for temperature_2m with a memory
budget of one shard (3.3 GB; the full variable is 23 GB) into a local Icechunk repo, and prints the peak RSS.
Run: `uv run python -m benchmarks.region_job_memory [budget_shards]`.
"""

import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

import icechunk
import pandas as pd

from datasets.common.shard_blocks import shard_blocks
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gefs.forecast_35_day.region_job import NoaaGefsForecast35DayRegionJob
from datasets.noaa.gefs.forecast_35_day.template_config import GefsFileType, NoaaGefsForecast35DayTemplateConfig
from tests.support.gefs_archive import gefs_relative_path, grib_variable, write_member_files
from tests.support.grib_archive import ArchiveGrid
from tests.support.range_server import RangeServer

INIT = timestamp("2024-06-01T00:00")
VARIABLE = "temperature_2m"
LEADS: dict[pd.Timedelta, GefsFileType] = {timedelta("0h"): "s", timedelta("3h"): "s", timedelta("246h"): "a"}
GRIDS: dict[GefsFileType, ArchiveGrid] = {"s": ArchiveGrid(resolution=0.25), "a": ArchiveGrid(resolution=0.5)}


def main(budget_shards: int) -> None:
    config = NoaaGefsForecast35DayTemplateConfig()
    data_var = config.data_var(VARIABLE)
    shard_bytes = data_var.encoding.shard_bytes()

    class Job(NoaaGefsForecast35DayRegionJob):
        memory_budget_bytes: ClassVar[int | None] = budget_shards * shard_bytes

    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        os.environ["REFORMAT_CACHE_DIR"] = str(root / "cache")
        started = time.perf_counter()
        for lead, file_type in LEADS.items():
            paths = {m: root / "archive" / gefs_relative_path(INIT, m, lead, file_type) for m in range(31)}
            write_member_files(paths, INIT, lead, [grib_variable(data_var)], GRIDS[file_type])
        print(f"archive written in {time.perf_counter() - started:.0f} s")

        template_ds = config.get_template(INIT + timedelta("1D")).sel(init_time=slice(INIT, None))
        repo = icechunk.Repository.create(icechunk.local_filesystem_storage(str(root / "store")))
        session = repo.writable_session("main")
        template_ds.to_zarr(session.store, mode="w", compute=False, zarr_format=3, consolidated=False)
        server = RangeServer(root / "archive")
        try:
            (job,) = Job.get_jobs(template_ds, "init_time", [data_var], source_url=server.base_url)
            template_var = template_ds[VARIABLE]
            blocks = shard_blocks(
                {str(d): n for d, n in template_var.sizes.items()},
                dict(zip(config.dims, data_var.encoding.shards or (), strict=True)),
                Job.block_dims,
                4,
                Job.memory_budget_bytes,
            )
            started = time.perf_counter()
            results = job.process([session.store])
            elapsed = time.perf_counter() - started
        finally:
            server.close()
        result = results[VARIABLE]
        print(
            f"{VARIABLE}: {result.succeeded} source files read, {len(result.not_found)} not found; "
            f"{len(blocks)} blocks of at most {budget_shards} shard(s) of {shard_bytes / 1e9:.2f} GB "
            f"(whole variable {template_var.size * 4 / 1e9:.1f} GB); job took {elapsed:.0f} s"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"peak RSS {peak / 1e9:.2f} GB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
