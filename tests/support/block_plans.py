"""The block plan a dataset's region job makes for a real-size region, without downloading anything."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from datasets.common.config_models import DataVar
from datasets.common.region_job import RegionJob
from datasets.common.region_layout import RegionLayout
from datasets.common.shard_blocks import BlockPlan


def first_job_block_plan(
    job_class: type[RegionJob[Any, Any]], template_ds: xr.Dataset, data_vars: Sequence[DataVar[Any]], source_url: str
) -> BlockPlan:
    """The plan of the first job's first source group, as if every source file were downloaded."""
    job = job_class.get_jobs(template_ds, "init_time", data_vars, source_url=source_url)[0]
    group = job_class.source_groups(job.data_vars)[0]
    processing_ds = template_ds.isel(init_time=job.get_processing_region())
    coords = job.generate_source_file_coords(processing_ds, group)
    downloads = [Path("downloaded")] * len(coords)
    layout = RegionLayout.build(processing_ds, [v.name for v in group], [c.out_loc() for c in coords], downloads)
    return job.block_plan(processing_ds, group, layout)
