from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import icechunk
import pandas as pd
import xarray as xr

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.region_job import RegionJob, split_variables, worker_share
from datasets.common.storage import StoreConfig, open_repository
from datasets.common.template_config import read_template
from datasets.common.timestamps import timestamp
from steps.errors import RunStateError
from steps.metadata import open_published
from steps.run_request import RunRequest
from steps.run_state import CodeIdentity, PlannedJobs, PlanRecord, RunState

icechunk.set_logs_filter("error")


@dataclass(frozen=True)
class StepContext:
    """Where a step reads and writes: the dataset, its primary store and its source."""

    dataset: DynamicalDataset[Any, Any]
    store: StoreConfig
    source_url: str
    replicas: tuple[StoreConfig, ...] = ()

    @classmethod
    def create(
        cls,
        dataset: DynamicalDataset[Any, Any],
        store_url: str | None = None,
        source_url: str | None = None,
        replica_urls: Sequence[str] = (),
    ) -> "StepContext":
        return cls(
            dataset=dataset,
            store=dataset.primary_store(store_url),
            source_url=dataset.source_url(source_url),
            replicas=tuple(dataset.replica_stores(replica_urls)),
        )

    @classmethod
    def for_request(cls, dataset: DynamicalDataset[Any, Any], request: RunRequest) -> "StepContext":
        return cls.create(dataset, request.store_url, request.source_url, request.replica_urls)

    @property
    def append_dim(self) -> str:
        return self.dataset.template_config.append_dim

    def repository(self, store: StoreConfig | None = None, *, create: bool = False) -> icechunk.Repository:
        """The primary's Icechunk repository, or a replica's, opened with the dataset's repository options."""
        options = self.dataset.repository_options(self.source_url)
        return open_repository(store or self.store, create=create, **options)

    def run_state(self, run_id: str) -> RunState:
        return RunState(self.store, run_id)

    def resolve(self, request: RunRequest, run_id: str) -> RunRequest:
        """The request as this context runs it: its run id, store, source and replicas spelled out."""
        return request.model_copy(
            update={
                "run_id": run_id,
                "store_url": self.store.url,
                "source_url": self.source_url,
                "replica_urls": tuple(r.url for r in self.replicas),
            }
        )

    def identity(self) -> CodeIdentity:
        return CodeIdentity(
            version=version("reformatters"), template_digest=self.dataset.template_config.template_digest()
        )


def temp_branch_name(run_id: str) -> str:
    return f"run-{run_id}"


def compute_jobs(
    context: StepContext, request: RunRequest, published: xr.Dataset | None, now: pd.Timestamp
) -> tuple[list[RegionJob[Any, Any]], xr.Dataset]:
    """The jobs today's code plans for `request`, starting from the `published` dataset, and their template."""
    config = context.dataset.template_config
    append_dim = config.append_dim
    job_class = context.dataset.region_job_class
    source_url = request.source_url or context.source_url
    if request.operation == "backfill":
        assert request.append_dim_end is not None, "a validated backfill request has an end"
        template = config.get_template(request.append_dim_end)
        if published is not None and published.sizes[append_dim] > template.sizes[append_dim]:
            template = config.get_template(end_of(published, append_dim, config.append_dim_frequency))
        jobs = job_class.get_jobs(
            template,
            append_dim,
            config.data_vars,
            filter_start=request.filter_start,
            filter_end=request.filter_end,
            filter_contains=request.filter_contains,
            filter_variable_names=request.filter_variable_names,
            source_url=source_url,
        )
    else:
        assert published is not None, "an update starts from a published dataset"
        jobs, template = job_class.operational_update_jobs(
            published, config.get_template, append_dim, config.data_vars, now, source_url=source_url
        )
    variable_parts = -(-request.workers // len(jobs)) if 0 < len(jobs) < request.workers else 1
    return split_variables(jobs, variable_parts), template


def planned_template(context: StepContext, record: PlanRecord) -> xr.Dataset:
    """The template the plan committed to the run's temp branch (not today's code's)."""
    return read_template(context.repository().readonly_session(snapshot_id=record.plan_snapshot).store)


def check_same_jobs(context: StepContext, record: PlanRecord) -> None:
    """A run planned by other code (an `argo retry` after a new image) continues only if today's code plans the
    very same jobs for the same request from the same starting point."""
    identity = context.identity()
    if identity == record.identity:
        return
    base = context.repository().readonly_session(snapshot_id=record.base_snapshot)
    jobs, _ = compute_jobs(context, record.request, open_published(base.store), timestamp(record.planned_at))
    now_planned = PlannedJobs.of(context.append_dim, jobs)
    if now_planned != record.jobs:
        raise RunStateError(
            f"run {record.run_id!r} was planned with {record.identity}; this code ({identity}) plans other jobs "
            f"({record.jobs.differences(now_planned)}): finish the run with the code that planned it, or start a "
            "new run"
        )


def planned_jobs(
    context: StepContext, record: PlanRecord, template: xr.Dataset, worker_index: int = 0, workers_total: int = 1
) -> list[RegionJob[Any, Any]]:
    """The plan's jobs as recorded (on its `planned_template`), then this worker's share."""
    config = context.dataset.template_config
    published_extent = record.published_extent if record.operation == "update" else 0
    groups: dict[tuple[str, ...], RegionJob[Any, Any]] = {}
    jobs = []
    for region, names in worker_share(list(record.jobs), worker_index, workers_total):
        if names not in groups:
            groups[names] = context.dataset.region_job_class(
                template_ds=template,
                data_vars=tuple(config.data_var(name) for name in names),
                append_dim=record.jobs.append_dim,
                region=region,
                source_url=record.source_url,
                published_extent=published_extent,
            )
        jobs.append(groups[names].for_region(region))
    return jobs


def end_of(template_ds: xr.Dataset, append_dim: str, frequency: pd.Timedelta) -> pd.Timestamp:
    return timestamp(template_ds[append_dim].values[-1]) + frequency
