import http.server
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.results import VariableResult, merge_results
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.chain import DEACCUMULATION_INVALID
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.region_job import (
    S3_BASE_URL,
    EcmwfIfsEnsForecast15Day025DegreeRegionJob,
    IfsEnsSourceFileCoord,
    IndexKey,
)
from datasets.ecmwf.ifs_ens.forecast_15_day_0_25_degree.template_config import (
    EcmwfDataVar,
    EcmwfIfsEnsForecast15Day025DegreeTemplateConfig,
)
from pipelines.demo.range_server import RangeServer
from tests.support.ecmwf_archive import damaged_ecmwf_copy, ecmwf_relative_stem, expected_stored_values
from tests.support.ifs_ens_archive import SmallGridRegionJob, SmallGridTemplateConfig, write_ifs_ens_archive
from tests.support.region_jobs import empty_store, first_job_block_plan, stored

# ptype is published from the second init on
INITS = [timestamp("2024-11-12T00:00"), timestamp("2024-11-13T00:00")]
MEMBERS = range(51)
# 3-hourly then 6-hourly steps; the gust is `10fg3` from 93 h to 144 h
LEAD_HOURS = (0, 3, 93, 144, 150, 156)
LEADS = [timedelta(f"{h}h") for h in LEAD_HOURS]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> SmallGridTemplateConfig:
    config = SmallGridTemplateConfig(
        template_dir=tmp_path_factory.mktemp("ifs-ens-template"), lead_hours=LEAD_HOURS, append_dim_start=INITS[0]
    )
    config.update_template()
    return config


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, config: SmallGridTemplateConfig) -> Path:
    root = tmp_path_factory.mktemp("ifs-ens-archive")
    write_ifs_ens_archive(root, config.data_vars, INITS, LEADS)
    return root


@pytest.fixture
def template_ds(config: SmallGridTemplateConfig) -> xr.Dataset:
    return config.get_template(INITS[-1] + timedelta("1D"))


def process(
    template_ds: xr.Dataset, data_vars: Sequence[EcmwfDataVar], store: Store, source_url: str
) -> dict[str, VariableResult]:
    jobs = SmallGridRegionJob.get_jobs(template_ds, "init_time", data_vars, source_url=source_url)
    return merge_results(job.process([store]) for job in jobs)


type Availability = Callable[[pd.Timestamp, pd.Timedelta, int], bool]


def assert_as_expected(ds: xr.Dataset, data_vars: Sequence[EcmwfDataVar], available: Availability) -> None:
    for var in data_vars:
        for i, init in enumerate(INITS):
            expected = expected_stored_values(var, init, LEADS, MEMBERS, available)
            np.testing.assert_array_equal(ds[var.name].values[i], expected, err_msg=f"{var.name} {init}")


def everything(init: pd.Timestamp, lead: pd.Timedelta, member: int) -> bool:
    return True


def track_concurrency(server: RangeServer, delay_seconds: float) -> Callable[[], int]:
    """Make every GET take at least `delay_seconds`; returns a function giving the most ever in flight at once
    (from the request read to the response written, so idle keep-alive connections do not count)."""
    lock = threading.Lock()
    state = {"now": 0, "max": 0}
    handler: Any = server._server.RequestHandlerClass  # this server's own class: patching it touches no other
    do_get = handler.do_GET

    def tracking(self: http.server.BaseHTTPRequestHandler) -> None:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        try:
            time.sleep(delay_seconds)
            do_get(self)
        finally:
            with lock:
                state["now"] -= 1

    handler.do_GET = tracking
    # With Nagle's algorithm the response body leaves only after the handler returned, so a client cannot start its
    # next request while this one is still counted (the shared server turns it off for speed).
    handler.disable_nagle_algorithm = False
    return lambda: state["max"]


@pytest.mark.slow
def test_every_value_of_every_variable_and_member_is_exact(
    archive: Path, config: SmallGridTemplateConfig, template_ds: xr.Dataset, http_archive: Callable[[Path], RangeServer]
) -> None:
    server = http_archive(archive)
    most_in_flight = track_concurrency(server, delay_seconds=0.002)
    store = empty_store(template_ds)
    plan = first_job_block_plan(SmallGridRegionJob, template_ds, config.data_vars, server.base_url)
    assert (len(plan.blocks), plan.parallelism) == (2, 2)  # blocks on: two variables at a time, rows of shards

    results = process(template_ds, config.data_vars, store, server.base_url)

    ds = stored(store)
    assert len(config.data_vars) == 19
    assert_as_expected(ds, config.data_vars, everything)
    ptype = ds["categorical_precipitation_type_surface"].values
    assert np.isnan(ptype[0]).all()
    assert np.isfinite(ptype[1]).all()
    for name, result in results.items():
        assert result.not_found == ()
        assert result.read_failed == ()
        assert result.counters.get(DEACCUMULATION_INVALID, 0) == 0
        if name == "categorical_precipitation_type_surface":
            assert result.succeeded == len(LEADS) * len(MEMBERS)
    final = SmallGridRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [156, 156]
    index_requests = Counter(r.path for r in server.requests if r.path.endswith(".index"))
    assert len(index_requests) == len(INITS) * len(LEADS)
    assert max(index_requests.values()) <= 3  # once per job (3 source groups), not once per member
    assert 2 <= most_in_flight() <= EcmwfIfsEnsForecast15Day025DegreeRegionJob.download_parallelism == 8


@pytest.mark.slow
def test_a_missing_lead_and_a_corrupt_member_message_stay_nan_and_are_reported(
    archive: Path,
    config: SmallGridTemplateConfig,
    template_ds: xr.Dataset,
    tmp_path: Path,
    http_archive: Callable[[Path], RangeServer],
) -> None:
    missing = (INITS[0], timedelta("144h"))
    corrupt = (INITS[1], timedelta("93h"), 7)
    damaged = damaged_ecmwf_copy(
        archive, tmp_path, ecmwf_relative_stem(*missing), ecmwf_relative_stem(*corrupt[:2]), "2t", member=corrupt[2]
    )
    server = http_archive(damaged)
    store = empty_store(template_ds)
    data_vars = [config.data_var("temperature_2m"), config.data_var("precipitation_surface")]

    results = process(template_ds, data_vars, store, server.base_url)

    ds = stored(store)
    for var in data_vars:

        def available(init: pd.Timestamp, lead: pd.Timedelta, member: int, name: str = var.name) -> bool:
            return (init, lead) != missing and not (name == "temperature_2m" and (init, lead, member) == corrupt)

        for i, init in enumerate(INITS):
            expected = expected_stored_values(var, init, LEADS, MEMBERS, available)
            np.testing.assert_array_equal(ds[var.name].values[i], expected, err_msg=f"{var.name} {init}")
        assert len(results[var.name].not_found) == len(MEMBERS)
        assert all(url.endswith("20241112000000-144h-enfo-ef.grib2") for url in results[var.name].not_found)
        assert len(results[var.name].read_failed) == (var.name == "temperature_2m")


@pytest.mark.slow
def test_from_ifs_cycle_50r1_the_control_comes_from_the_oper_files(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    init = timestamp("2026-05-13T00:00")
    config = SmallGridTemplateConfig(template_dir=tmp_path / "template", lead_hours=(0, 3), append_dim_start=init)
    config.update_template()
    template_ds = config.get_template(init + timedelta("1D"))
    data_vars = [config.data_var("temperature_2m"), config.data_var("precipitation_surface")]
    write_ifs_ens_archive(tmp_path / "archive", data_vars, [init], [timedelta("0h"), timedelta("3h")])
    server = http_archive(tmp_path / "archive")
    store = empty_store(template_ds)

    results = process(template_ds, data_vars, store, server.base_url)

    ds = stored(store)
    leads = [timedelta("0h"), timedelta("3h")]
    for var in data_vars:
        expected = expected_stored_values(var, init, leads, MEMBERS, everything)
        np.testing.assert_array_equal(ds[var.name].values[0], expected, err_msg=var.name)
        assert results[var.name].read_failed == ()
        assert results[var.name].not_found == ()
    oper = {r.path for r in server.requests if "/oper/" in r.path}
    assert oper == {
        "20260513/00z/ifs/0p25/oper/20260513000000-0h-oper-fc.index",
        "20260513/00z/ifs/0p25/oper/20260513000000-0h-oper-fc.grib2",
        "20260513/00z/ifs/0p25/oper/20260513000000-3h-oper-fc.index",
        "20260513/00z/ifs/0p25/oper/20260513000000-3h-oper-fc.grib2",
    }


def test_coords_skip_fields_the_source_does_not_publish(
    config: SmallGridTemplateConfig, template_ds: xr.Dataset
) -> None:
    group = [config.data_var("precipitation_surface"), config.data_var("wind_gust_10m")]
    job = SmallGridRegionJob.get_jobs(template_ds, "init_time", group, source_url="http://127.0.0.1:9")[0]
    coords = job.generate_source_file_coords(template_ds.isel(init_time=job.region), group)
    assert len(coords) == (len(LEADS) - 1) * len(MEMBERS)  # neither has a value at lead 0
    assert [c.ensemble_member for c in coords[:3]] == [0, 1, 2]  # a lead's members one after another
    params = {int(c.lead_time / timedelta("1h")): [f.param for f in c.fields] for c in coords}
    assert params[3] == ["tp", "10fg"]
    assert params[93] == params[144] == ["tp", "10fg3"]
    assert params[150] == ["tp", "10fg"]
    ptype = [config.data_var("categorical_precipitation_type_surface")]
    assert not job.generate_source_file_coords(template_ds.isel(init_time=slice(0, 1)), ptype)


def test_file_urls_follow_the_archive_layout() -> None:
    coord = IfsEnsSourceFileCoord(
        base_url=S3_BASE_URL,
        init_time=INITS[0],
        lead_time=timedelta("150h"),
        ensemble_member=12,
        fields=(IndexKey(param="gh", levtype="pl", levelist="500"),),
    )
    stem = f"{S3_BASE_URL}/20241112/00z/ifs/0p25/enfo/20241112000000-150h-enfo-ef"
    assert coord.get_url() == stem + ".grib2"
    assert coord.index_url() == stem + ".index"
    assert coord.out_loc() == {"init_time": INITS[0], "lead_time": timedelta("150h"), "ensemble_member": 12}


def test_source_groups_share_availability_and_stay_small() -> None:
    data_vars = EcmwfIfsEnsForecast15Day025DegreeTemplateConfig().data_vars
    groups = EcmwfIfsEnsForecast15Day025DegreeRegionJob.source_groups(data_vars)
    assert sorted(v.name for group in groups for v in group) == sorted(v.name for v in data_vars)
    for group in groups:
        assert 1 <= len(group) <= 2
        attrs = {(v.internal_attrs.available_from, v.internal_attrs.has_hour_0_values) for v in group}
        assert len(attrs) == 1


def test_a_real_region_is_processed_in_five_blocks_within_the_memory_budget() -> None:
    config = EcmwfIfsEnsForecast15Day025DegreeTemplateConfig()
    template_ds = config.get_template(INITS[1]).sel(init_time=slice(INITS[0], None))
    job_class = EcmwfIfsEnsForecast15Day025DegreeRegionJob
    plan = first_job_block_plan(job_class, template_ds, config.data_vars, S3_BASE_URL)
    assert job_class.memory_budget_bytes is not None
    assert plan.parallelism == 2
    assert plan.parallelism * plan.block_size * 4 <= job_class.memory_budget_bytes
    assert [(b["latitude"], b["longitude"].stop - b["longitude"].start) for b in plan.blocks] == [
        (slice(0, 721), 320),
        (slice(0, 721), 320),
        (slice(0, 721), 320),
        (slice(0, 721), 320),
        (slice(0, 721), 160),
    ]
    assert plan.block_size == 85 * 51 * 721 * 320
