import hashlib
import math
import queue
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import xarray as xr
from zarr.abc.store import Store

from datasets.common.config_models import DataVar, FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.forecast_coordinates import record_ingested_forecast_length
from datasets.common.region_layout import RegionLayout
from datasets.common.results import SourceFault, SourceFileStatus, VariableResult, build_variable_result
from datasets.common.shard_blocks import Block, BlockPlan, append_dim_shard_size, plan_blocks, shard_shape
from datasets.common.shard_writer import write_block
from datasets.common.source_file import SourceFileCoord, remove_local_copies
from datasets.common.sources.retry import counting_retries
from datasets.common.timestamps import timestamp
from datasets.common.transforms.chain import apply_transforms

type ProgressCallback = Callable[[str, float], None]

MAX_KEY_NAMES_LENGTH = 100


def _no_progress(kind: str, amount: float) -> None:
    pass


class RegionJob[DV: DataVar[Any], SFC: SourceFileCoord](FrozenBaseModel):
    """Processes one append-dim shard (`region`) for a group of variables that share source files."""

    template_ds: xr.Dataset
    data_vars: tuple[DV, ...]
    append_dim: str
    region: slice
    source_url: str | None = None
    # Set by operational updates: append-dim positions before it are already published.
    published_extent: int = 0

    # Where the source archive is when a run names no --source-url.
    default_source_url: ClassVar[str]
    download_parallelism: ClassVar[int] = 8
    read_parallelism: ClassVar[int] = 2  # decode threads per variable (eccodes releases the GIL)
    variable_parallelism: ClassVar[int] = 2  # variables in flight, each holding one buffer
    # Bytes of buffers a job holds at once, all variables in flight together; None: each buffer holds the whole
    # processing region. Under a budget the region is processed in blocks of whole shards along `block_dims` (dims
    # no source file locates, e.g. latitude and longitude), every source message decoded once per block.
    memory_budget_bytes: ClassVar[int | None] = None
    block_dims: ClassVar[tuple[str, ...]] = ()
    # The dim accumulations and window averages run along (see datasets/common/transforms/chain.py).
    step_dim: ClassVar[str] = "lead_time"

    @classmethod
    def source_groups(cls, data_vars: Sequence[DV]) -> Sequence[Sequence[DV]]:
        return [data_vars]

    def get_processing_region(self) -> slice:
        return self.region

    def region_to_write(self, store: Store) -> slice:
        """The part of `region` this job (re)writes, given what `store` (the published data) already holds.

        The rest of the region's shards keeps its stored values: an update of a long shard can fetch only
        what is new. The default rewrites the whole region.
        """
        return self.region

    @abstractmethod
    def generate_source_file_coords(
        self, processing_region_ds: xr.Dataset, data_var_group: Sequence[DV]
    ) -> Sequence[SFC]: ...

    @abstractmethod
    def download_file(self, coord: SFC) -> SFC:
        """The coord downloaded: `coord.downloaded(path)` for a whole file, `download_fields(...)` for the byte ranges
        of several fields. Raise SourceNotFoundError for a missing file and SourceReadError for one that cannot be
        used at all (e.g. a malformed index): every cell it feeds stays NaN and it is listed. A field the file lacks
        is recorded in the downloaded coord instead and costs only its own cells."""

    @abstractmethod
    def read_data(self, coord: SFC, data_var: DV) -> np.ndarray:
        """The variable's values from the downloaded coord; SourceNotFoundError or SourceReadError (e.g. raised by
        `coord.field_bytes` for a field the file lacks, or by decoding) costs only this (variable, file) cell."""

    def apply_data_transformations(self, data_array: xr.DataArray, data_var: DV) -> Mapping[str, int]:
        """Transform the processing-region array in place; return counters worth reporting. The default applies
        the transform chain the variable's internal attrs declare: override only for a transform of your own.

        Along the dims a source file locates besides the append dim (e.g. lead_time), the array stops after the
        last position whose file was downloaded (the rest is stored as NaN); positions without data are NaN.
        """
        return apply_transforms(data_array, data_var.internal_attrs, self.step_dim)

    @classmethod
    def update_template_with_results(
        cls, template_ds: xr.Dataset, results: Mapping[str, VariableResult], append_dim: str
    ) -> xr.Dataset:
        """Trim the append dim to the last position any variable really wrote and, for forecasts, record
        per init the longest lead time any variable wrote in `ingested_forecast_length`."""
        last = max((r.last_append_dim_value for r in results.values() if r.last_append_dim_value), default=None)
        if last is None:
            return template_ds.isel({append_dim: slice(0, 0)})
        ds = template_ds.sel({append_dim: slice(None, last)})
        if "ingested_forecast_length" not in ds.coords:
            return ds
        return record_ingested_forecast_length(ds, results, append_dim)

    @classmethod
    def operational_update_jobs(
        cls,
        published_ds: xr.Dataset,
        get_template: Callable[[pd.Timestamp], xr.Dataset],
        append_dim: str,
        all_data_vars: Sequence[DV],
        now: pd.Timestamp,
        source_url: str | None = None,
    ) -> tuple[list[Self], xr.Dataset]:
        """The template up to now and the jobs of the shards holding `update_positions`."""
        template_ds = get_template(timestamp(now.floor("s") + pd.Timedelta(seconds=1)))
        positions = cls.update_positions(published_ds, template_ds, append_dim, now, source_url)
        if positions.empty:
            return [], template_ds
        jobs = cls.get_jobs(
            template_ds,
            append_dim,
            all_data_vars,
            filter_contains=list(positions),
            source_url=source_url,
            published_extent=published_ds.sizes[append_dim],
        )
        return jobs, template_ds

    @classmethod
    def update_positions(
        cls,
        published_ds: xr.Dataset,
        template_ds: xr.Dataset,
        append_dim: str,
        now: pd.Timestamp,
        source_url: str | None,
    ) -> pd.DatetimeIndex:
        """The append-dim values an update (re)processes: the latest published one and every later one."""
        values = pd.DatetimeIndex(template_ds[append_dim].values)
        return values[values >= timestamp(published_ds[append_dim].values[-1])]

    @classmethod
    def get_jobs(
        cls,
        template_ds: xr.Dataset,
        append_dim: str,
        all_data_vars: Sequence[DV],
        *,
        filter_start: pd.Timestamp | None = None,
        filter_end: pd.Timestamp | None = None,
        filter_contains: Sequence[pd.Timestamp] = (),
        filter_variable_names: Sequence[str] = (),
        source_url: str | None = None,
        published_extent: int = 0,
        worker_index: int = 0,
        workers_total: int = 1,
    ) -> list[Self]:
        """Every job for the template, in a deterministic order, then this worker's contiguous share.

        Filters select whole shards: a shard is kept when it overlaps [filter_start, filter_end) and, if
        filter_contains is given, holds one of those positions.
        """
        assert 0 <= worker_index < workers_total, f"worker_index {worker_index} not in [0, {workers_total})"
        data_vars = [v for v in all_data_vars if not filter_variable_names or v.name in filter_variable_names]
        shard_size = append_dim_shard_size(template_ds, append_dim, data_vars)
        append_values = pd.DatetimeIndex(template_ds[append_dim].values)
        contains = pd.DatetimeIndex(filter_contains)
        regions = []
        for start in range(0, len(append_values), shard_size):
            region = slice(start, min(start + shard_size, len(append_values)))
            values = append_values[region]
            if filter_start is not None and values[-1] < filter_start:
                continue
            if filter_end is not None and values[0] >= filter_end:
                continue
            if len(contains) and not values.isin(contains).any():
                continue
            regions.append(region)
        groups = [
            cls(
                template_ds=template_ds,
                data_vars=tuple(group),
                append_dim=append_dim,
                region=slice(0, 0),
                source_url=source_url,
                published_extent=published_extent,
            )
            for group in cls.source_groups(data_vars)
        ]
        jobs = [group.for_region(region) for region in regions for group in groups]
        return worker_share(jobs, worker_index, workers_total)

    def for_region(self, region: slice) -> Self:
        """This job for another region, without validating its fields again (a backfill plans thousands of jobs)."""
        values: dict[str, Any] = {**self.__dict__, "region": region}
        return type(self).model_construct(None, **values)

    @property
    def key(self) -> str:
        return job_key(self.append_dim, self.region, [v.name for v in self.data_vars])

    def process(self, stores: Sequence[Store], progress: ProgressCallback = _no_progress) -> dict[str, VariableResult]:
        region = self.region_to_write(stores[0])
        assert self.region.start <= region.start <= region.stop == self.region.stop, (
            f"{region} is not a tail of {self.region}"
        )
        if region.start == region.stop:
            return {v.name: VariableResult(name=v.name) for v in self.data_vars}
        job = self if region == self.region else self.model_copy(update={"region": region})
        return job._process_region(stores, progress)

    def _process_region(self, stores: Sequence[Store], progress: ProgressCallback) -> dict[str, VariableResult]:
        processing_region = self.get_processing_region()
        processing_ds = self.template_ds.isel({self.append_dim: processing_region})
        results: dict[str, VariableResult] = {}
        for group in self.source_groups(self.data_vars):
            coords = list(self.generate_source_file_coords(processing_ds, group))
            downloads, retries = self._download_all(coords, progress)
            try:
                results.update(
                    self._process_group(
                        group, processing_ds, processing_region, coords, downloads, retries, stores, progress
                    )
                )
            finally:
                remove_local_copies(downloads)
        return results

    def _download_all(self, coords: Sequence[SFC], progress: ProgressCallback) -> tuple[list[SFC | SourceFault], int]:
        """Every coord downloaded, or why not (a missing file is listed by its URL alone), and the retries made."""

        def download(coord: SFC) -> tuple[SFC | SourceFault, int]:
            outcome: SFC | SourceFault
            with counting_retries() as retries:
                try:
                    outcome = self.download_file(coord)
                except SourceNotFoundError:
                    outcome = SourceFault(status=SourceFileStatus.not_found, message="")
                except SourceReadError as e:
                    outcome = SourceFault.of(e)
                finally:
                    progress("source_files", 1)
            return outcome, retries.value

        with ThreadPoolExecutor(self.download_parallelism) as pool:
            futures = [pool.submit(download, coord) for coord in coords]
            try:
                outcomes = [future.result() for future in futures]
            except BaseException:  # a source unavailable after its retries: stop, and leave no local copy behind
                pool.shutdown(cancel_futures=True)
                remove_local_copies([f.result()[0] for f in futures if not f.cancelled() and not f.exception()])
                raise
        return [downloaded for downloaded, _ in outcomes], sum(retries for _, retries in outcomes)

    def _process_group(
        self,
        group: Sequence[DV],
        processing_ds: xr.Dataset,
        processing_region: slice,
        coords: Sequence[SFC],
        downloads: Sequence[SFC | SourceFault],
        retries: int,
        stores: Sequence[Store],
        progress: ProgressCallback,
    ) -> dict[str, VariableResult]:
        """Variables in parallel, each read, transformed and written block by block via a reused buffer."""
        downloaded = [not isinstance(d, SourceFault) for d in downloads]
        layout = RegionLayout.build(processing_ds, [v.name for v in group], [c.out_loc() for c in coords], downloaded)
        plan = self.block_plan(processing_ds, group, layout)
        buffers: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        for _ in range(plan.parallelism):
            buffers.put(np.empty(plan.block_size, dtype=np.float32))

        def process_variable(data_var: DV) -> VariableResult:
            buffer = buffers.get()
            try:
                statuses: list[SourceFault | None] = [None] * len(coords)
                counters: dict[str, int] = {}
                for block in plan.blocks:
                    block_layout = layout.block(block)
                    values = buffer[: math.prod(block_layout.shape)].reshape(block_layout.shape)
                    values.fill(np.nan)
                    block_statuses = self._read_block(data_var, block_layout, block, downloads, values)
                    statuses = [old or new for old, new in zip(statuses, block_statuses, strict=True)]
                    block_counters = self._write_block(
                        data_var, block_layout, block, values, processing_region, stores, progress
                    )
                    for key, count in block_counters.items():
                        counters[key] = counters.get(key, 0) + count
            finally:
                buffers.put(buffer)
            return build_variable_result(
                data_var.name,
                self.append_dim,
                ((coord.get_url(), coord.out_loc(), fault) for coord, fault in zip(coords, statuses, strict=True)),
                counters,
                retries,
            )

        with ThreadPoolExecutor(plan.parallelism) as pool:
            return {result.name: result for result in pool.map(process_variable, group)}

    def block_plan(self, processing_ds: xr.Dataset, group: Sequence[DV], layout: RegionLayout) -> BlockPlan:
        """Blocks of whole shards along `block_dims` and the variables in flight, within `memory_budget_bytes`."""
        assert set(self.block_dims) <= set(layout.field_dims), (
            f"block dims {self.block_dims} must be dims no source file locates {layout.field_dims}: "
            "transforms work along the others (e.g. lead_time) and need them whole"
        )
        shards = {shard_shape(processing_ds[v.name]) for v in group}
        assert len(shards) == 1, f"a group's variables disagree on their shards: {shards}"
        return plan_blocks(
            dict(zip(layout.dims, layout.shape, strict=True)),
            dict(zip(layout.dims, shards.pop(), strict=True)),
            self.block_dims,
            np.dtype(np.float32).itemsize,
            self.memory_budget_bytes,
            min(self.variable_parallelism, len(group)),
        )

    def _read_block(
        self,
        data_var: DV,
        layout: RegionLayout,
        block: Block,
        downloads: Sequence[SFC | SourceFault],
        values: np.ndarray,
    ) -> list[SourceFault | None]:
        """Each downloaded file's values inside `block` into `values` (GRIB has no partial decode: whole fields);
        per file, why it gave this variable no values (None: it did)."""
        field_selection = tuple(block.get(dim, slice(None)) for dim in layout.field_dims)

        def read(index: int) -> SourceFault | None:
            download = downloads[index]
            if isinstance(download, SourceFault):
                return download
            try:
                field = self.read_data(download, data_var)
            except (SourceNotFoundError, SourceReadError) as e:
                return SourceFault.of(e)
            position = layout.positions[index]
            assert position is not None, "every downloaded file has a position"
            values[position] = field[field_selection]
            return None

        with ThreadPoolExecutor(self.read_parallelism) as pool:
            return list(pool.map(read, range(len(downloads))))

    def _write_block(
        self,
        data_var: DV,
        layout: RegionLayout,
        block: Block,
        values: np.ndarray,
        processing_region: slice,
        stores: Sequence[Store],
        progress: ProgressCallback,
    ) -> Mapping[str, int]:
        data_array = xr.DataArray(values, coords=layout.coords, dims=layout.dims)
        counters = self.apply_data_transformations(data_array, data_var) if values.size else {}
        offset = self.region.start - processing_region.start
        out = values[offset : offset + self.region.stop - self.region.start]
        last = max((layout.dims.index(dim) for dim in block), default=0)
        selection = (self.region, *(block.get(dim, slice(None)) for dim in layout.dims[1 : last + 1]))
        write_block(stores, data_var.name, selection, out)
        progress("bytes_written", out.nbytes)
        return counters


def job_key(append_dim: str, region: slice, variable_names: Sequence[str]) -> str:
    """Unique per job and short enough for a file name (run state keeps one file per job)."""
    names = "+".join(variable_names)
    if len(names) > MAX_KEY_NAMES_LENGTH:
        digest = hashlib.sha256(names.encode()).hexdigest()[:12]
        names = f"{variable_names[0]}+{len(variable_names) - 1}-more-{digest}"
    return f"{append_dim}-{region.start}-{region.stop}-{names}"


def split_variables[J: RegionJob[Any, Any]](jobs: Sequence[J], parts: int) -> list[J]:
    """Each job as up to `parts` jobs over contiguous blocks of its variables, so that fewer shards than
    workers still keep every worker busy (each part writes only its own variables' shards)."""
    if parts == 1:
        return list(jobs)
    split = []
    for job in jobs:
        count = min(parts, len(job.data_vars))
        blocks = (worker_share(job.data_vars, i, count) for i in range(count))
        split.extend(job.model_copy(update={"data_vars": tuple(block)}) for block in blocks)
    return split


def worker_share[T](jobs: Sequence[T], worker_index: int, workers_total: int) -> list[T]:
    """Contiguous, near-equal blocks: concurrent workers start far apart along the append dim."""
    base, extra = divmod(len(jobs), workers_total)
    start = worker_index * base + min(worker_index, extra)
    stop = start + base + (1 if worker_index < extra else 0)
    return list(jobs[start:stop])
