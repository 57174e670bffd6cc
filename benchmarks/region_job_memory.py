"""Peak RSS of one GEFS region job on the real grid, in blocks under a memory budget and without blocks.

Writes the `s` files (0.25 degree, 721 x 1440) of leads 0-45 h (16 leads) for all 31 members of one init with
the three variables of the dataset's first source group, serves them on loopback HTTP, and runs that group's region
job into a local Icechunk repo, each configuration in a fresh process (with the write step's malloc settings):
- blocks: the dataset's budget scaled by 16/181 leads, which gives the block plan of a whole-forecast job under the
  real budget (two variables in flight, four blocks of one column of two shards, i.e. decoding every message
  four times);
- no blocks: no budget, two variables in flight each holding the whole processing region.
Leads after 45 h answer 404, so the buffers stop after lead 45 h, as they do for a forecast still coming in.
Run: `uv run python -m benchmarks.region_job_memory`.
"""

import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import ClassVar

import icechunk

from datasets.common.region_layout import RegionLayout
from datasets.common.sources.fetch import CACHE_DIR_ENV
from datasets.common.sources.synthetic_grids import ArchiveGrid
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gefs.forecast_35_day.region_job import NoaaGefsForecast35DayRegionJob
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar, NoaaGefsForecast35DayTemplateConfig
from pipelines.demo.range_server import RangeServer
from steps.write import WRITE_ENV
from tests.support.gefs_archive import gefs_relative_path, grib_variable, write_member_files

INIT = timestamp("2024-06-01T00:00")
LEADS = [timedelta(f"{3 * i}h") for i in range(16)]
MEMBERS = range(31)
FULL_LEADS = 181
GiB = 2**30


def group() -> list[GefsDataVar]:
    return list(NoaaGefsForecast35DayRegionJob.source_groups(NoaaGefsForecast35DayTemplateConfig().data_vars)[0])


def run_job(root: Path, source_url: str, budget: int | None) -> str:
    class Job(NoaaGefsForecast35DayRegionJob):
        memory_budget_bytes: ClassVar[int | None] = budget

    config = NoaaGefsForecast35DayTemplateConfig()
    template_ds = config.get_template(INIT + timedelta("1D")).sel(init_time=slice(INIT, None))
    store = icechunk.Repository.create(icechunk.local_filesystem_storage(str(root / "store"))).writable_session("main")
    template_ds.to_zarr(store.store, mode="w", compute=False, zarr_format=3, consolidated=False)
    (job,) = Job.get_jobs(template_ds, "init_time", group(), source_url=source_url)
    processing_ds = template_ds.isel(init_time=job.get_processing_region())
    coords = job.generate_source_file_coords(processing_ds, job.data_vars)
    downloaded = [c.lead_time in LEADS for c in coords]
    names = [v.name for v in job.data_vars]
    layout = RegionLayout.build(processing_ds, names, [c.out_loc() for c in coords], downloaded)
    plan = job.block_plan(processing_ds, job.data_vars, layout)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    results = job.process([store.store])
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    read = {name: (r.succeeded, len(r.not_found), len(r.read_failed)) for name, r in results.items()}
    return (
        f"budget {'none' if budget is None else f'{budget / GiB:.3f} GiB'}: {len(plan.blocks)} block(s), "
        f"{plan.parallelism} variables in flight, buffers {plan.parallelism} x {plan.block_size * 4 / GiB:.3f} GiB; "
        f"job {elapsed:.0f} s; (succeeded, not found, read failed) per variable {read}\n"
        f"  peak RSS before the job {before / GiB:.2f} GiB, at the end {peak / GiB:.2f} GiB"
    )


def main() -> None:
    data_vars = group()
    budget = NoaaGefsForecast35DayRegionJob.memory_budget_bytes
    assert budget is not None
    scaled = budget * len(LEADS) // FULL_LEADS
    grid = ArchiveGrid(resolution=0.25)
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        started = time.perf_counter()
        for lead in LEADS:
            paths = {m: root / "archive" / gefs_relative_path(INIT, m, lead, "s") for m in MEMBERS}
            write_member_files(paths, INIT, lead, [grib_variable(v) for v in data_vars], grid)
        print(
            f"archive: {len(LEADS)} leads x {len(MEMBERS)} members of {[v.name for v in data_vars]} on the "
            f"{grid.nj} x {grid.ni} grid, written in {time.perf_counter() - started:.0f} s"
        )
        os.environ.update(WRITE_ENV)
        server = RangeServer(root / "archive")
        try:
            for i, budget_bytes in enumerate((scaled, None)):
                os.environ[CACHE_DIR_ENV] = str(root / f"cache-{i}")
                with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                    print(pool.submit(run_job, root / f"run-{i}", server.base_url, budget_bytes).result())
        finally:
            server.close()


if __name__ == "__main__":
    main()
