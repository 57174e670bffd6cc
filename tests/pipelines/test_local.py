from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.transforms.rounding import round_float32_inplace
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from steps.run_state import PLAN, PlanRecord
from tests.support.runs import INITS, read_main
from tests.support.synthetic_dataset import DATA_VARS, LEAD_TIMES, expected_value, write_source_archive

END = INITS[-1] + pd.Timedelta("6h")


def expected_stored(var: str, init_time: pd.Timestamp, lead_time: pd.Timedelta) -> np.ndarray:
    return round_float32_inplace(expected_value(var, init_time, lead_time), 7)


def backfill(synthetic: DynamicalDataset, store_url: str, workers: int, run_id: str = "run-a") -> None:
    context = StepContext.create(synthetic, store_url)
    run_local(
        context,
        RunRequest(operation="backfill", run_id=run_id, append_dim_end=END, workers=workers),
        show_progress=False,
    )


@pytest.mark.slow
def test_one_and_three_workers_write_identical_bytes(synthetic: DynamicalDataset, source: Path, tmp_path: Path) -> None:
    backfill(synthetic, str(tmp_path / "one.icechunk"), workers=1)
    backfill(synthetic, str(tmp_path / "three.icechunk"), workers=3)
    one, three = read_main(str(tmp_path / "one.icechunk")), read_main(str(tmp_path / "three.icechunk"))
    assert one.sizes["init_time"] == len(INITS)
    for var in DATA_VARS:
        np.testing.assert_array_equal(one[var.name].values, three[var.name].values)
        assert one[var.name].values.tobytes() == three[var.name].values.tobytes()


@pytest.mark.slow
def test_one_shard_with_two_workers_splits_its_variables(
    synthetic: DynamicalDataset, source: Path, tmp_path: Path
) -> None:
    stores = {workers: str(tmp_path / f"{workers}.icechunk") for workers in (1, 2)}
    for workers, store_url in stores.items():
        context = StepContext.create(synthetic, store_url)
        summary = run_local(
            context,
            RunRequest(operation="backfill", run_id="r", append_dim_end=INITS[2], workers=workers),
            show_progress=False,
        )
        assert summary.published
    record = StepContext.create(synthetic, stores[2]).run_state("r").read_model(PLAN, PlanRecord)
    assert (len(record.jobs.variable_groups), record.workers_total, len(record.job_keys)) == (2, 2, 2)
    one, two = read_main(stores[1]), read_main(stores[2])
    assert one.sizes["init_time"] == 2
    for var in DATA_VARS:
        assert one[var.name].values.tobytes() == two[var.name].values.tobytes()
        for i, init_time in enumerate(INITS[:2]):
            for j, lead_time in enumerate(LEAD_TIMES):
                np.testing.assert_array_equal(
                    two[var.name].values[i, j], expected_stored(var.name, init_time, lead_time)
                )


def test_backfill_stores_expected_values_and_reports_missing(synthetic: DynamicalDataset, tmp_path: Path) -> None:
    missing = (INITS[2], LEAD_TIMES[1])
    write_source_archive(Path(synthetic.source_base_url), INITS, missing=[missing])
    store_url = str(tmp_path / "s.icechunk")
    context = StepContext.create(synthetic, store_url)
    summary = run_local(context, RunRequest(operation="backfill", run_id="r", append_dim_end=END), show_progress=False)
    ds = read_main(store_url)
    for var in DATA_VARS:
        for init_time in INITS:
            for lead_time in LEAD_TIMES:
                stored = ds[var.name].sel(init_time=init_time, lead_time=lead_time).values
                if (init_time, lead_time) == missing:
                    assert np.isnan(stored).all()
                else:
                    np.testing.assert_array_equal(stored, expected_stored(var.name, init_time, lead_time))
        assert summary.variables[var.name].not_found == (f"{synthetic.source_base_url}/2024010112/f003.npz",)
    assert summary.published


def test_filters_select_whole_shards(synthetic: DynamicalDataset, source: Path, store_url: str) -> None:
    context = StepContext.create(synthetic, store_url)
    request = RunRequest(
        run_id="r", append_dim_end=END, filter_contains=(INITS[3],), filter_variable_names=("wind_u_10m",)
    )
    run_local(context, request, show_progress=False)
    ds = read_main(store_url)
    assert ds.sizes["init_time"] == len(INITS)
    assert np.isnan(ds["temperature_2m"].values).all()
    written = ~np.isnan(ds["wind_u_10m"].values).all(axis=(1, 2, 3))
    assert written.tolist() == [False, False, True, True, False, False]
