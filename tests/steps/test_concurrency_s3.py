from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.local import run_local
from steps.context import StepContext
from steps.errors import ConcurrentPublishError
from steps.join import join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.write import write
from tests.support.runs import INITS, read_main


@pytest.mark.slow
def test_update_and_overwrite_backfill_overlap_on_s3(synthetic: DynamicalDataset, source: Path, s3_bucket: str) -> None:
    store_url = f"s3://{s3_bucket}/synthetic/v0.icechunk"
    context = StepContext.create(synthetic, store_url)
    run_local(context, RunRequest(operation="backfill", run_id="initial", append_dim_end=INITS[4]), show_progress=False)
    before = read_main(store_url)

    plan(context, RunRequest(operation="update", run_id="update"), now=INITS[-1])
    plan(
        context,
        RunRequest(
            operation="backfill",
            run_id="refill",
            append_dim_end=INITS[4],
            filter_end=INITS[2].isoformat(),
            overwrite_chunks=True,
        ),
    )
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda run_id: write(context, run_id=run_id, worker_index=0), ["update", "refill"]))

    outcomes: dict[str, str] = {}
    for run_id in ("refill", "update"):
        try:
            outcomes[run_id] = "published" if join(context, run_id=run_id).published else "nothing"
        except ConcurrentPublishError as e:
            outcomes[run_id] = f"failed: {e}"
    assert outcomes["refill"] == "published"
    assert outcomes["update"].startswith("failed: main moved")

    after = read_main(store_url)
    assert after.sizes["init_time"] == before.sizes["init_time"]
    np.testing.assert_array_equal(after["temperature_2m"].values, before["temperature_2m"].values)

    # the loser re-runs as a fresh operation and lands on top of the winner's work
    run_local(context, RunRequest(operation="update", run_id="update-again"), now=INITS[-1], show_progress=False)
    final = read_main(store_url)
    assert final.sizes["init_time"] == len(INITS)
    assert not np.isnan(final["temperature_2m"].values).any()


@pytest.mark.slow
def test_backfill_on_s3_matches_local(
    synthetic: DynamicalDataset, source: Path, s3_bucket: str, tmp_path: Path
) -> None:
    s3_url = f"s3://{s3_bucket}/synthetic/v0.icechunk"
    local_url = str(tmp_path / "local.icechunk")
    for url in (s3_url, local_url):
        run_local(
            StepContext.create(synthetic, url),
            RunRequest(operation="backfill", run_id="r", append_dim_end=INITS[-1], workers=2),
            show_progress=False,
        )
    a, b = read_main(s3_url), read_main(local_url)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)
