from pathlib import Path

import pandas as pd
import pytest

import steps.context
from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.local import run_local
from steps.context import StepContext, planned_jobs, planned_template
from steps.errors import RunStateError
from steps.join import join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.write import write
from tests.support.runs import INITS
from tests.support.synthetic_dataset import SyntheticRegionJob


def test_only_update_jobs_know_the_published_extent(synthetic: DynamicalDataset, source: Path, store_url: str) -> None:
    context = StepContext.create(synthetic, store_url)
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[3]), show_progress=False)

    update = plan(context, RunRequest(operation="update", run_id="u"), now=INITS[-1] + pd.Timedelta("1h"))
    backfill = plan(
        context,
        RunRequest(
            operation="backfill",
            run_id="b2",
            append_dim_end=INITS[-1] + pd.Timedelta("6h"),
            filter_start=INITS[4].isoformat(),
        ),
    )

    assert update.published_extent == backfill.published_extent == 3
    assert {job.published_extent for job in planned_jobs(context, update, planned_template(context, update))} == {3}
    assert {job.published_extent for job in planned_jobs(context, backfill, planned_template(context, backfill))} == {0}


def test_a_run_continues_under_new_code_only_if_that_code_plans_the_same_jobs(
    synthetic: DynamicalDataset, source: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = StepContext.create(synthetic, store_url)
    plan(context, RunRequest(run_id="r", append_dim_end=INITS[-1] + pd.Timedelta("6h")))
    monkeypatch.setattr(steps.context, "version", lambda package: "99.0")  # an `argo retry` with a new image

    one_per_variable = classmethod(lambda cls, data_vars: [[v] for v in data_vars])
    with monkeypatch.context() as patched:
        patched.setattr(SyntheticRegionJob, "source_groups", one_per_variable)
        with pytest.raises(
            RunStateError,
            match=r"run 'r' was planned with reformatters \S+, template \w+; this code \(reformatters 99.0",
        ):
            write(context, run_id="r", worker_index=0)

    summary = write(context, run_id="r", worker_index=0)  # same jobs: the run goes on
    assert summary.jobs_processed == len(INITS) // 2
    assert join(context, run_id="r").published
