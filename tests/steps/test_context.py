from pathlib import Path

import pandas as pd

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.local import run_local
from steps.context import StepContext, planned_jobs
from steps.plan import plan
from steps.run_state import Filters
from tests.support.runs import INITS


def test_only_update_jobs_know_the_published_extent(synthetic: DynamicalDataset, source: Path, store_url: str) -> None:
    context = StepContext.create(synthetic, store_url)
    run_local(context, operation="backfill", run_id="b", append_dim_end=INITS[3], show_progress=False)

    update = plan(context, operation="update", run_id="u", now=INITS[-1] + pd.Timedelta("1h"))
    backfill = plan(
        context,
        operation="backfill",
        run_id="b2",
        append_dim_end=INITS[-1] + pd.Timedelta("6h"),
        filters=Filters(start=INITS[4].isoformat()),
    )

    assert update.published_extent == backfill.published_extent == 3
    assert {job.published_extent for job in planned_jobs(context, update)} == {3}
    assert {job.published_extent for job in planned_jobs(context, backfill)} == {0}
