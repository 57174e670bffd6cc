"""noaa-gfs-forecast through plan → write → join (the local executor and the CLI) on a generated archive."""

import socket
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.storage import open_repository, parse_store_config
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast import noaa_gfs_forecast
from datasets.noaa.gfs.forecast.synthetic_archive import write_synthetic_gfs_archive
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS
from pipelines.cli import app, run
from pipelines.local import run_local
from steps.context import StepContext
from steps.errors import OperationFailedError
from steps.metadata import open_published
from steps.run_request import RunRequest
from tests.support.fault_server import EVERY_PATH, FaultServer, ResetMidBody, Status
from tests.support.gfs_archive import (
    TEST_GRID,
    SmallGridRegionJob,
    SmallGridTemplateConfig,
    assert_all_variables_as_expected,
    corrupt_message,
    expected_stored_values,
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


def url(server: FaultServer, init: pd.Timestamp, lead: pd.Timedelta) -> str:
    return f"{server.base_url}/{gfs_relative_path(init, lead)}"


@pytest.mark.slow
def test_backfill_with_two_workers_stores_every_value_and_lists_failing_urls(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer], capsys: pytest.CaptureFixture[str]
) -> None:
    missing, corrupt = (INITS[1], timedelta("4h")), (INITS[2], timedelta("7h"))
    write_test_archive(tmp_path / "archive", INITS, LEADS)
    (tmp_path / "archive" / gfs_relative_path(*missing)).unlink()
    corrupt_path = tmp_path / "archive" / gfs_relative_path(*corrupt)
    corrupt_message(corrupt_path, idx_line(corrupt_path, "PRMSL", "mean sea level"))
    server = http_archive(tmp_path / "archive")
    server.inject(gfs_relative_path(INITS[0], timedelta("2h")), Status(status=503, retry_after="0"), times=1)
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
        assert result.retries == 1, "the one 503 was retried, and every variable of the group reports it"
    err = capsys.readouterr().err
    assert "retries" in err
    listed = [line for line in err.splitlines() if line.startswith(f"  read failed {url(server, *corrupt)}: ")]
    assert len(listed) == 1
    assert "is truncated or corrupt" in listed[0]
    assert f"not found {url(server, INITS[0], timedelta('13h'))}" in err


PRESENT = (
    "temperature_2m",
    "relative_humidity_2m",
    "maximum_temperature_2m",
    "wind_u_10m",
    "wind_v_10m",
    "pressure_surface",
    "precipitation_surface",
    "total_cloud_cover_atmosphere",
    "pressure_reduced_to_mean_sea_level",
)


@pytest.mark.slow
def test_an_archive_holding_some_variables_publishes_those_exactly_and_lists_the_others(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer], capsys: pytest.CaptureFixture[str]
) -> None:
    present = [v for v in GFS_DATA_VARS if v.name in PRESENT]
    write_synthetic_gfs_archive(tmp_path / "archive", INITS[:1], LEADS, TEST_GRID, present)
    server = http_archive(tmp_path / "archive")
    context = StepContext.create(small_gfs(tmp_path, server.base_url), str(tmp_path / "gfs.icechunk"))

    summary = run_local(
        context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[0] + timedelta("6h"))
    )

    assert summary.published
    ds = read_main(str(tmp_path / "gfs.icechunk"))
    for var in GFS_DATA_VARS:
        result = summary.variables[var.name]
        assert result.read_failed == (), var.name
        if var.name in PRESENT:
            expected = expected_stored_values(var, INITS[0], LEADS, lambda init, lead: True)
            np.testing.assert_array_equal(ds[var.name].values[0, : len(LEADS)], expected, err_msg=var.name)
            assert not any(": " in entry for entry in result.not_found), "only files past the archive's last lead"
            continue
        assert np.isnan(ds[var.name].values).all(), var.name
        wanted = [lead for lead in LEADS if lead > timedelta(0) or var.internal_attrs.has_hour_0_values]
        field = var.internal_attrs.expected_field
        assert sorted(entry for entry in result.not_found if ": " in entry) == sorted(
            f"{url(server, INITS[0], lead)}: no idx entry for {field(lead).element}:{field(lead).level}:"
            f"{field(lead).forecast}"
            for lead in wanted
        ), var.name
    err = capsys.readouterr().err
    assert "no idx entry for UGRD:100 m above ground:anl" in err


@pytest.mark.slow
def test_update_appends_the_new_init_reprocesses_the_latest_and_publishes_once(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer]
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


def test_a_source_answering_503_to_everything_fails_the_backfill_in_one_line(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    server = http_archive(tmp_path / "empty")
    server.inject(EVERY_PATH, Status(status=503, retry_after="1"))

    assert backfill_cli(tmp_path / "gfs.icechunk", server.base_url) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: source unavailable: {server.base_url}/gfs.20210501/00/atmos/gfs.t00z.pgrb2.0p25.f")
    assert "HTTP 503 (after 3 retries)" in last
    assert "nothing was published (run the same command again to resume" in last


@pytest.mark.slow
def test_a_source_down_for_a_whole_update_leaves_the_published_dataset_as_it_was(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer]
) -> None:
    write_test_archive(tmp_path / "archive", INITS[:1], LEADS)
    server = http_archive(tmp_path / "archive")
    store_url = str(tmp_path / "gfs.icechunk")
    context = StepContext.create(small_gfs(tmp_path, server.base_url), store_url)
    run_local(context, RunRequest(operation="backfill", run_id="b", append_dim_end=INITS[1]), show_progress=False)
    repo = open_repository(parse_store_config(store_url), create=False)
    before, published = repo.lookup_branch("main"), read_main(store_url)

    server.inject(EVERY_PATH, ResetMidBody())
    with pytest.raises(OperationFailedError, match=r"source unavailable: .*\(after 3 retries\).*nothing was published"):
        run_local(
            context, RunRequest(operation="update", run_id="u"), now=INITS[1] + timedelta("4h"), show_progress=False
        )

    assert repo.lookup_branch("main") == before
    xr.testing.assert_identical(read_main(store_url), published)


def test_an_archive_without_any_file_publishes_nothing(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    server = http_archive(tmp_path / "empty")

    assert backfill_cli(tmp_path / "gfs.icechunk", server.base_url) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: no source file could be read (5225 failed, e.g. http")
    repo = open_repository(parse_store_config(str(tmp_path / "gfs.icechunk")), create=False)
    assert open_published(repo.readonly_session("main").store) is None
