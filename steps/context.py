from dataclasses import dataclass
from typing import Any

import icechunk
import pandas as pd
import xarray as xr

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.region_job import RegionJob, split_variables, worker_share
from datasets.common.storage import StoreConfig, open_repository
from datasets.common.timestamps import timestamp
from steps.run_state import Filters, PlanRecord, RunState

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
        replica_urls: list[str] | None = None,
    ) -> "StepContext":
        return cls(
            dataset=dataset,
            store=dataset.primary_store(store_url),
            source_url=dataset.source_url(source_url),
            replicas=tuple(dataset.replica_stores(replica_urls)),
        )

    @property
    def append_dim(self) -> str:
        return self.dataset.template_config.append_dim

    def repository(self, *, create: bool = False) -> icechunk.Repository:
        return open_repository(self.store, create=create, **self.dataset.repository_options(self.source_url))

    def run_state(self, run_id: str) -> RunState:
        return RunState(self.store, run_id)


def temp_branch_name(run_id: str) -> str:
    return f"run-{run_id}"


def jobs_for(
    context: StepContext, template_ds: xr.Dataset, filters: Filters, published_extent: int = 0
) -> list[RegionJob[Any, Any]]:
    return context.dataset.region_job_class.get_jobs(
        template_ds,
        context.append_dim,
        context.dataset.template_config.data_vars,
        filter_start=timestamp(filters.start) if filters.start else None,
        filter_end=timestamp(filters.end) if filters.end else None,
        filter_contains=[timestamp(c) for c in filters.contains],
        filter_variable_names=filters.variable_names,
        source_url=context.source_url,
        published_extent=published_extent,
    )


def planned_template(context: StepContext, plan: PlanRecord) -> xr.Dataset:
    return context.dataset.template_config.get_template(timestamp(plan.template_end))


def planned_jobs(
    context: StepContext, plan: PlanRecord, worker_index: int = 0, workers_total: int = 1
) -> list[RegionJob[Any, Any]]:
    """Recompute exactly the plan's job list (whatever the time now), then take this worker's share."""
    wanted = set(plan.job_keys)
    published_extent = plan.published_extent if plan.operation == "update" else 0
    template = planned_template(context, plan)
    all_jobs = split_variables(jobs_for(context, template, plan.filters, published_extent), plan.variable_parts)
    jobs = [job for job in all_jobs if job.key in wanted]
    assert len(jobs) == len(wanted), f"recomputed {len(jobs)} of the plan's {len(wanted)} jobs"
    return worker_share(jobs, worker_index, workers_total)


def end_of(template_ds: xr.Dataset, append_dim: str, frequency: pd.Timedelta) -> pd.Timestamp:
    return timestamp(template_ds[append_dim].values[-1]) + frequency
