"""Helpers for tests that run the pipeline on the synthetic dataset."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.storage import open_repository, parse_store_config
from pipelines.local import run_local
from steps.context import StepContext
from steps.join import join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.write import write
from tests.support.synthetic_dataset import FREQUENCY, START

INITS = pd.date_range(START, periods=6, freq=FREQUENCY)


def read_main(store_url: str) -> xr.Dataset:
    repo = open_repository(parse_store_config(store_url), create=False)
    return xr.open_zarr(repo.readonly_session("main").store, consolidated=False, decode_timedelta=True).load()


def arrays_of(ds: xr.Dataset) -> dict[str, np.ndarray]:
    return {str(name): ds[name].values for name in ds.variables}


def assert_same_dataset(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.variables) == set(b.variables)
    for name in a.variables:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=str(name))
    xr.testing.assert_identical(a, b)


def run_cli(
    synthetic: DynamicalDataset, args: list[str], kill_at: str = "none", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    template_dir = synthetic.template_config.template_path().parent
    command = [
        sys.executable,
        "-m",
        "tests.support.synthetic_cli",
        str(template_dir),
        synthetic.source_base_url,
        kill_at,
        "--",
        *args,
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).parents[2],
        timeout=300,
        check=False,
    )


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


def update_after_backfill(
    context: StepContext,
    backfill_end: pd.Timestamp,
    now: pd.Timestamp,
    before_update: Callable[[xr.Dataset], None],
) -> tuple[xr.Dataset, xr.Dataset]:
    """Backfill to `backfill_end`, hand what is published to `before_update` (to check it, put late files in place),
    then update at `now`: what is published stays as it was until the join, which publishes. (before, after)."""
    store_url = context.store.url
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=backfill_end), show_progress=False)
    before = read_main(store_url)
    before_update(before)
    plan(context, RunRequest(operation="update", run_id="u"), now=now)
    write(context, run_id="u", worker_index=0)
    unpublished = read_main(store_url)
    for name in before.data_vars:
        np.testing.assert_array_equal(unpublished[name].values, before[name].values, err_msg=str(name))
    assert join(context, run_id="u").published
    return before, read_main(store_url)
