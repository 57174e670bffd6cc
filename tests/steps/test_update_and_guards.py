import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError
from datasets.common.storage import open_repository, parse_store_config
from pipelines.local import run_local
from steps.context import StepContext
from steps.errors import ConcurrentPublishError, SourceUnavailableError
from steps.join import JoinSummary, join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.write import write
from tests.support.runs import INITS, read_main
from tests.support.synthetic_dataset import LEAD_TIMES, write_source_archive

BACKFILL_END = INITS[3]  # first three inits
NOW = INITS[-1] + pd.Timedelta("1h")


def backfill(context: StepContext, run_id: str = "b1", overwrite_chunks: bool = False) -> None:
    run_local(
        context,
        RunRequest(operation="backfill", run_id=run_id, append_dim_end=BACKFILL_END, overwrite_chunks=overwrite_chunks),
        show_progress=False,
    )


def update(context: StepContext, run_id: str = "u1", now: pd.Timestamp = NOW) -> JoinSummary:
    return run_local(context, RunRequest(operation="update", run_id=run_id), now=now, show_progress=False)


def test_update_appends_new_inits_and_reprocesses_the_latest(synthetic: DynamicalDataset, store_url: str) -> None:
    root = Path(synthetic.source_base_url)
    write_source_archive(root, INITS[:3], missing=[(INITS[2], LEAD_TIMES[2])])
    context = StepContext.create(synthetic, store_url)
    backfill(context)
    assert np.isnan(read_main(store_url)["temperature_2m"].values[2, 2]).all()
    write_source_archive(root, INITS)  # the late file arrives, and three new inits
    summary = update(context)
    ds = read_main(store_url)
    assert summary.published
    assert list(pd.DatetimeIndex(ds["init_time"].values)) == list(INITS)
    assert not np.isnan(ds["temperature_2m"].values).any()


def test_update_trims_to_what_succeeded(synthetic: DynamicalDataset, store_url: str) -> None:
    root = Path(synthetic.source_base_url)
    write_source_archive(root, INITS[:4])
    context = StepContext.create(synthetic, store_url)
    backfill(context)
    update(context)
    assert read_main(store_url).sizes["init_time"] == 4


def test_update_with_nothing_new_publishes_nothing(
    synthetic: DynamicalDataset, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_source_archive(Path(synthetic.source_base_url), INITS[:3])
    context = StepContext.create(synthetic, store_url)
    backfill(context)
    repo = open_repository(parse_store_config(store_url), create=False)
    before = repo.lookup_branch("main")
    summary = update(context)
    assert not summary.published
    assert "nothing new" in summary.message
    assert repo.lookup_branch("main") == before


def test_update_with_source_down_fails_without_retracting(
    synthetic: DynamicalDataset, store_url: str, tmp_path: Path
) -> None:
    write_source_archive(Path(synthetic.source_base_url), INITS[:3])
    context = StepContext.create(synthetic, store_url)
    backfill(context)
    before = read_main(store_url)
    down = StepContext.create(synthetic, store_url, source_url=str(tmp_path / "nowhere"))
    with pytest.raises(SourceUnavailableError, match="source may be down"):
        update(down)
    after = read_main(store_url)
    np.testing.assert_array_equal(after["temperature_2m"].values, before["temperature_2m"].values)


def test_update_needs_a_published_dataset(synthetic: DynamicalDataset, store_url: str) -> None:
    with pytest.raises(UserInputError, match="run a backfill first"):
        update(StepContext.create(synthetic, store_url))


def test_backfill_over_published_data_needs_overwrite_chunks(
    synthetic: DynamicalDataset, source: Path, store_url: str
) -> None:
    context = StepContext.create(synthetic, store_url)
    backfill(context)
    with pytest.raises(UserInputError, match="--overwrite-chunks"):
        backfill(context, run_id="b2")
    backfill(context, run_id="b3", overwrite_chunks=True)
    # extending beyond the published extent needs no flag, and an earlier end never trims
    run_local(
        context,
        RunRequest(operation="backfill", run_id="b4", append_dim_end=INITS[-1], filter_start=INITS[4].isoformat()),
        show_progress=False,
    )
    assert read_main(store_url).sizes["init_time"] == 5
    run_local(
        context,
        RunRequest(operation="backfill", run_id="b5", append_dim_end=INITS[1], overwrite_chunks=True),
        show_progress=False,
    )
    assert read_main(store_url).sizes["init_time"] == 5


def test_structural_drift_is_refused(synthetic: DynamicalDataset, source: Path, store_url: str) -> None:
    context = StepContext.create(synthetic, store_url)
    backfill(context)
    chunks_file = synthetic.template_config.template_path() / "wind_u_10m" / "zarr.json"
    chunks_file.write_text(
        chunks_file.read_text().replace(
            '"chunk_shape": [\n          1,\n          3,\n          2,\n          4\n        ]',
            '"chunk_shape": [\n          1,\n          3,\n          4,\n          4\n        ]',
        )
    )
    with pytest.raises(UserInputError, match="wind_u_10m chunks would change"):
        plan(context, RunRequest(operation="update", run_id="u-drift"), now=NOW)


def test_two_updates_at_once_one_wins(synthetic: DynamicalDataset, source: Path, store_url: str) -> None:
    context = StepContext.create(synthetic, store_url)
    backfill(context)
    for run_id in ("ua", "ub"):
        plan(context, RunRequest(operation="update", run_id=run_id), now=NOW)
        write(context, run_id=run_id, worker_index=0)
    assert join(context, run_id="ua").published
    with pytest.raises(ConcurrentPublishError, match="another run published first"):
        join(context, run_id="ub")
    assert read_main(store_url).sizes["init_time"] == len(INITS)


@pytest.mark.slow
def test_reader_only_sees_complete_states(synthetic: DynamicalDataset, source: Path, store_url: str) -> None:
    context = StepContext.create(synthetic, store_url)
    backfill(context)
    repo = open_repository(parse_store_config(store_url), create=False)
    seen: list[int] = []
    problems: list[str] = []
    done = threading.Event()

    def poll() -> None:
        import xarray as xr

        while not done.is_set():
            session = repo.readonly_session("main")
            ds = xr.open_zarr(session.store, consolidated=False, chunks=None)
            values = ds["temperature_2m"].values
            seen.append(ds.sizes["init_time"])
            if np.isnan(values).any():
                problems.append(f"NaN visible with {ds.sizes['init_time']} inits")
            if ds["init_time"].size != values.shape[0]:
                problems.append("coordinate without data")

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        update(context)
        run_local(
            context,
            RunRequest(
                operation="backfill", run_id="b-over", append_dim_end=INITS[-1], overwrite_chunks=True, workers=2
            ),
            show_progress=False,
        )
    finally:
        done.set()
        reader.join()
    assert not problems, problems[:3]
    assert set(seen) <= {3, 6}
    assert 6 in seen
