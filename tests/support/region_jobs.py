"""Scaffolding shared by the region-job tests of every dataset: a small-grid template rendered to a folder of the
test's choosing, an empty in-memory store to process into, what the store then holds, and a job's block plan."""

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import icechunk
import pandas as pd
import xarray as xr
from zarr.abc.store import Store

from datasets.common.config_models import DataVar, FrozenBaseModel
from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.region_job import RegionJob
from datasets.common.region_layout import RegionLayout
from datasets.common.results import VariableResult
from datasets.common.shard_blocks import BlockPlan
from datasets.common.template_config import TemplateConfig

type Availability = Callable[[pd.Timestamp, pd.Timedelta], bool]


class TemplateInFolder(FrozenBaseModel):
    """Inherit first, before the dataset's TemplateConfig, to render its template into `template_dir`."""

    template_dir: Path

    def template_path(self) -> Path:
        return self.template_dir / "latest.zarr"


def rendered_template(config: TemplateConfig[Any], append_dim_end: pd.Timestamp) -> xr.Dataset:
    config.update_template()
    return config.get_template(append_dim_end)


def with_chunks[DV: DataVar[Any]](
    data_vars: Sequence[DV], chunks: tuple[int, ...], shards: tuple[int, ...]
) -> list[DV]:
    encoding = {"chunks": chunks, "shards": shards}
    return [v.model_copy(update={"encoding": v.encoding.model_copy(update=encoding)}) for v in data_vars]


def small_grid_dataset(
    dataset: DynamicalDataset[Any, Any],
    config: TemplateConfig[Any],
    region_job_class: type[RegionJob[Any, Any]],
    source_url: str,
) -> DynamicalDataset[Any, Any]:
    """The registered dataset with its template and region job swapped for small-grid ones, reading `source_url`."""
    config.update_template()
    return dataset.model_copy(
        update={"template_config": config, "region_job_class": region_job_class, "source_base_url": source_url}
    )


type ProcessAll = Callable[[xr.Dataset, Store, str], dict[str, VariableResult]]


def processed(
    template_ds: xr.Dataset, source_url: str, process_all: ProcessAll
) -> tuple[Store, dict[str, VariableResult]]:
    """A new empty store after `process_all` filled it from `source_url`, and the results."""
    store = empty_store(template_ds)
    return store, process_all(template_ds, store, source_url)


def empty_store(template_ds: xr.Dataset) -> Store:
    session = icechunk.Repository.create(icechunk.in_memory_storage()).writable_session("main")
    template_ds.to_zarr(session.store, mode="w", compute=False, zarr_format=3, consolidated=False)
    return session.store


def stored(store: Store) -> xr.Dataset:
    return xr.open_zarr(store, consolidated=False, decode_timedelta=True).load()


def readable_for(available: Availability, unreadable: Mapping[str, Availability] | None, name: str) -> Availability:
    """Where variable `name` has a value: its file is `available` and its message is not one `unreadable` marks."""
    bad = (unreadable or {}).get(name)

    def readable(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        return available(init, lead) and not (bad and bad(init, lead))

    return readable


def first_job_block_plan(
    job_class: type[RegionJob[Any, Any]], template_ds: xr.Dataset, data_vars: Sequence[DataVar[Any]], source_url: str
) -> BlockPlan:
    """The block plan of the first job's first source group, as if every source file were downloaded."""
    job = job_class.get_jobs(template_ds, "init_time", data_vars, source_url=source_url)[0]
    group = job_class.source_groups(job.data_vars)[0]
    processing_ds = template_ds.isel(init_time=job.get_processing_region())
    coords = job.generate_source_file_coords(processing_ds, group)
    layout = RegionLayout.build(
        processing_ds, [v.name for v in group], [c.out_loc() for c in coords], [True] * len(coords)
    )
    return job.block_plan(processing_ds, group, layout)
