"""noaa-gfs-forecast through plan → write → join (the local executor and the CLI) on a generated archive."""

import socket
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.storage import open_repository, parse_store_config
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast import noaa_gfs_forecast
from pipelines.cli import app, run
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.metadata import open_published
from steps.run_request import RunRequest
from tests.support.gfs_archive import (
    SmallGridRegionJob,
    SmallGridTemplateConfig,
    assert_all_variables_as_expected,
    corrupt_message,
    hours,
    idx_line,
    write_test_archive,
)
from tests.support.runs import read_main

START = timestamp("2021-05-01T00:00")
INITS = list(pd.date_range(START, periods=3, freq="6h"))
LEADS = [timedelta(f"{h}h") for h in range(13)]  # two 6 h accumulation windows


def small_gfs(tmp_path: Path, source_url: str) -> DynamicalDataset:
    config = SmallGridTemplateConfig(template_dir=tmp_path / "template")
    config.update_template()
    return DynamicalDataset(
        template_config=config,
        region_job_class=SmallGridRegionJob,
        operational=noaa_gfs_forecast().operational,
        source_base_url=source_url,
    )


def url(server: RangeServer, init: pd.Timestamp, lead: pd.Timedelta) -> str:
    return f"{server.base_url}/{gfs_relative_path(init, lead)}"


@pytest.mark.slow
def test_backfill_with_two_workers_stores_every_value_and_lists_failing_urls(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    missing, corrupt = (INITS[1], timedelta("4h")), (INITS[2], timedelta("7h"))
    write_test_archive(tmp_path / "archive", INITS, LEADS)
    (tmp_path / "archive" / gfs_relative_path(*missing)).unlink()
    corrupt_path = tmp_path / "archive" / gfs_relative_path(*corrupt)
    corrupt_message(corrupt_path, idx_line(corrupt_path, "PRMSL", "mean sea level"))
    server = http_archive(tmp_path / "archive")
    context = StepContext.create(small_gfs(tmp_path, server.base_url), str(tmp_path / "gfs.icechunk"))

    summary = run_local(
        context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[-1] + timedelta("6h"), workers=2)
    )

    assert summary.published
    ds = read_main(str(tmp_path / "gfs.icechunk"))
    assert list(ds["init_time"].values) == [np.datetime64(i) for i in INITS]

    def available(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        return hours(lead) <= 12 and (init, lead) != missing

    mslp = "pressure_reduced_to_mean_sea_level"
    assert_all_variables_as_expected(ds, INITS, available, {mslp: lambda init, lead: (init, lead) == corrupt})
    assert list(ds["ingested_forecast_length"].values) == [np.timedelta64(12, "h")] * len(INITS)
    for name, result in summary.variables.items():
        assert url(server, *missing) in result.not_found
        assert len(result.read_failed) == (name == mslp)
    err = capsys.readouterr().err
    listed = [line for line in err.splitlines() if line.startswith(f"  read failed {url(server, *corrupt)}: ")]
    assert len(listed) == 1
    assert "is truncated or corrupt" in listed[0]
    assert f"not found {url(server, INITS[0], timedelta('13h'))}" in err


@pytest.mark.slow
def test_update_appends_the_new_init_reprocesses_the_latest_and_publishes_once(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    archive = tmp_path / "archive"
    write_test_archive(archive, INITS[:1], LEADS)
    write_test_archive(archive, INITS[1:2], LEADS[:7])  # init 1 has reached 6 h so far
    server = http_archive(archive)
    store_url = str(tmp_path / "gfs.icechunk")
    context = StepContext.create(small_gfs(tmp_path, server.base_url), store_url)
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[2]), show_progress=False)
    backfilled = read_main(store_url)
    assert list(backfilled["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [12, 6]
    repo = open_repository(parse_store_config(store_url), create=False)
    before = repo.lookup_branch("main")
    reader = repo.readonly_session(snapshot_id=before)

    write_test_archive(archive, INITS[1:2], LEADS[7:])
    write_test_archive(archive, INITS[2:], LEADS[:4])
    summary = run_local(
        context, RunRequest(operation="update", run_id="u"), now=INITS[2] + timedelta("4h"), show_progress=False
    )

    assert summary.published
    ds = read_main(store_url)
    assert list(ds["init_time"].values) == [np.datetime64(i) for i in INITS]

    def available(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        return hours(lead) <= (3 if init == INITS[2] else 12)

    assert_all_variables_as_expected(ds, INITS, available)
    assert list(ds["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [12, 12, 3]
    for result in summary.variables.values():
        assert set(result.coverage) == {INITS[1].isoformat(), INITS[2].isoformat()}, "only the latest and new inits"
    history = list(repo.ancestry(branch="main"))
    assert [s.metadata.get("stage") for s in history[:2]] == ["joined", "plan"], "main moved once, to the join"
    assert history[2].id == before
    assert f"run-{summary.run_id}" not in repo.list_branches()
    still = open_published(reader.store)
    assert still is not None
    np.testing.assert_array_equal(still["temperature_2m"].values, backfilled["temperature_2m"].values)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def backfill_cli(store: Path, source_url: str) -> int:
    args = ["noaa-gfs-forecast", "backfill-local", "2021-05-01T06:00", "--store", str(store)]
    return run(app, [*args, "--source-url", source_url])


@pytest.mark.usefixtures("source_cache")
def test_an_unreachable_archive_fails_the_backfill_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source_url = f"http://127.0.0.1:{closed_port()}"

    assert backfill_cli(tmp_path / "gfs.icechunk", source_url) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: source unavailable: {source_url}/gfs.20210501/00/atmos/gfs.t00z.pgrb2.0p25.f")
    assert "nothing was published" in last
    repo = open_repository(parse_store_config(str(tmp_path / "gfs.icechunk")), create=False)
    assert open_published(repo.readonly_session("main").store) is None


def test_an_archive_without_any_file_publishes_nothing(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    server = http_archive(tmp_path / "empty")

    assert backfill_cli(tmp_path / "gfs.icechunk", server.base_url) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: no source file could be read (5225 failed, e.g. http")
    repo = open_repository(parse_store_config(str(tmp_path / "gfs.icechunk")), create=False)
    assert open_published(repo.readonly_session("main").store) is None
