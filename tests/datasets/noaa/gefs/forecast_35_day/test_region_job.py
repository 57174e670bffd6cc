import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import eccodes
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.results import VariableResult, merge_results
from datasets.common.sources.grib import iter_messages, message_identity
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.chain import DEACCUMULATION_INVALID
from datasets.noaa.gefs.forecast_35_day import region_job
from datasets.noaa.gefs.forecast_35_day.region_job import NoaaGefsForecast35DayRegionJob
from datasets.noaa.gefs.forecast_35_day.template_config import GefsDataVar, NoaaGefsForecast35DayTemplateConfig
from datasets.noaa.gefs.gefs_source import S3_BASE_URL, GefsSourceFileCoord
from pipelines.demo.range_server import RangeServer
from tests.support.gefs_archive import (
    COARSE_GRID,
    SmallGridRegionJob,
    SmallGridTemplateConfig,
    expected_stored_values,
    gefs_relative_path,
    hours,
    write_gefs_archive,
)
from tests.support.region_jobs import empty_store, first_job_block_plan, stored

INIT = timestamp("2024-06-01T00:00")
MEMBERS = range(31)
# 3/6 h alternating windows, the switch from `s` to `a`/`b` files after 240 h and two extended-range leads
LEAD_HOURS = (0, 3, 6, 9, 12, 237, 240, 246, 252, 390, 396)
LEADS = [timedelta(f"{h}h") for h in LEAD_HOURS]
LATER = INIT + timedelta("1D")


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> SmallGridTemplateConfig:
    config = SmallGridTemplateConfig(
        template_dir=tmp_path_factory.mktemp("gefs-template"), lead_hours=LEAD_HOURS, append_dim_start=INIT
    )
    config.update_template()
    return config


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, config: SmallGridTemplateConfig) -> Path:
    root = tmp_path_factory.mktemp("gefs-archive")
    write_gefs_archive(root, config.data_vars, [INIT], MEMBERS, LEADS)
    return root


@pytest.fixture
def template_ds(config: SmallGridTemplateConfig) -> xr.Dataset:
    return config.get_template(INIT + timedelta("1D"))


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Callable[[pd.Timestamp], None]:
    def set_now(value: pd.Timestamp) -> None:
        monkeypatch.setattr(region_job, "utc_now", lambda: value)

    set_now(LATER)
    return set_now


def process(
    template_ds: xr.Dataset, data_vars: Sequence[GefsDataVar], store: Store, source_url: str
) -> dict[str, VariableResult]:
    jobs = SmallGridRegionJob.get_jobs(template_ds, "init_time", data_vars, source_url=source_url)
    return merge_results(job.process([store]) for job in jobs)


type Availability = Callable[[pd.Timestamp, int, pd.Timedelta], bool]


def assert_as_expected(ds: xr.Dataset, data_vars: Sequence[GefsDataVar], available: Availability) -> None:
    assert ds.sizes["ensemble_member"] == len(MEMBERS)
    for var in data_vars:
        for member in MEMBERS:
            expected = expected_stored_values(var, INIT, member, LEADS, available)
            np.testing.assert_array_equal(ds[var.name].values[0, member], expected, err_msg=f"{var.name} {member}")


def everything(init: pd.Timestamp, member: int, lead: pd.Timedelta) -> bool:
    return True


@pytest.mark.slow
def test_every_value_of_every_variable_and_member_is_exact(
    archive: Path,
    config: SmallGridTemplateConfig,
    template_ds: xr.Dataset,
    http_archive: Callable[[Path], RangeServer],
    now: Callable[[pd.Timestamp], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = http_archive(archive)
    store = empty_store(template_ds)
    plan = first_job_block_plan(SmallGridRegionJob, template_ds, config.data_vars, server.base_url)
    assert (len(plan.blocks), plan.parallelism) == (2, 2)  # blocks on: two variables at a time, rows of shards
    results = process(template_ds, config.data_vars, store, server.base_url)

    ds = stored(store)
    assert len(config.data_vars) == 27
    assert_as_expected(ds, config.data_vars, everything)
    precipitation = ds["precipitation_surface"].values
    assert np.isfinite(precipitation).sum() > 0
    assert (precipitation[np.isfinite(precipitation)] > 0).all()
    for result in results.values():
        assert result.succeeded == len(MEMBERS) * len(LEADS)
        assert result.not_found == ()
        assert result.read_failed == ()
    assert results["precipitation_surface"].counters == {DEACCUMULATION_INVALID: 0}
    final = SmallGridRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [396]
    a_files = [r for r in server.requests if "/pgrb2ap5/" in r.path and not r.path.endswith(".idx")]
    assert {int(r.path[-3:]) for r in a_files} == {246, 252, 390, 396}  # `s` files serve leads up to 240 h


def source_message_values(path: Path, element: str, level: str) -> np.ndarray:
    for message in iter_messages(path.read_bytes()):
        identity = message_identity(message)
        if (identity.element, identity.level) == (element, level):
            handle = eccodes.codes_new_from_message(message)
            try:
                return eccodes.codes_get_values(handle).reshape(COARSE_GRID.nj, COARSE_GRID.ni)
            finally:
                eccodes.codes_release(handle)
    raise AssertionError(f"no {element}:{level} in {path}")


@pytest.mark.slow
def test_regridded_points_on_both_grids_are_the_source_values(
    archive: Path,
    config: SmallGridTemplateConfig,
    template_ds: xr.Dataset,
    http_archive: Callable[[Path], RangeServer],
    now: Callable[[pd.Timestamp], None],
) -> None:
    server = http_archive(archive)
    store = empty_store(template_ds)
    process(template_ds, [config.data_var("categorical_rain_surface")], store, server.base_url)  # not rounded
    ds = stored(store)

    lead, member = timedelta("246h"), 17
    rain = ds["categorical_rain_surface"].sel(lead_time=lead, ensemble_member=member).values[0]
    source = source_message_values(archive / gefs_relative_path(INIT, member, lead, "a"), "CRAIN", "surface")
    # dataset longitude -180 is source column 9 (180 degrees); every other dataset point is a source point
    np.testing.assert_array_equal(rain[::2, ::2], np.roll(source, COARSE_GRID.ni // 2, axis=1))
    np.testing.assert_array_equal(rain[1::2, ::2], (rain[:-1:2, ::2] + rain[2::2, ::2]) / 2)


@pytest.mark.slow
def test_extended_range_leads_are_requested_only_once_available(
    archive: Path,
    config: SmallGridTemplateConfig,
    template_ds: xr.Dataset,
    http_archive: Callable[[Path], RangeServer],
    now: Callable[[pd.Timestamp], None],
) -> None:
    server = http_archive(archive)
    store = empty_store(template_ds)
    data_vars = [config.data_var("temperature_2m"), config.data_var("precipitation_surface")]
    now(INIT + timedelta("5h"))

    results = process(template_ds, data_vars, store, server.base_url)

    def not_yet(init: pd.Timestamp, member: int, lead: pd.Timedelta) -> bool:
        return lead <= timedelta("384h")

    assert_as_expected(stored(store), data_vars, not_yet)
    assert not [r for r in server.requests if r.path.endswith((".f390", ".f396", ".f390.idx", ".f396.idx"))]
    assert all(r.not_found == () and r.succeeded == len(MEMBERS) * 9 for r in results.values())
    final = SmallGridRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [252]


def corrupt_message(path: Path, element: str, level: str) -> None:
    """Overwrite the closing `7777` of the message with this identity (found through the `.idx`)."""
    lines = path.with_name(path.name + ".idx").read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if f":{element}:{level}:" in line)
    end = int(lines[index + 1].split(":")[1]) if index + 1 < len(lines) else path.stat().st_size
    data = bytearray(path.read_bytes())
    assert data[end - 4 : end] == b"7777"
    data[end - 4 : end] = b"\0\0\0\0"
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_a_missing_member_file_and_a_corrupt_message_stay_nan_and_are_reported(
    archive: Path,
    config: SmallGridTemplateConfig,
    template_ds: xr.Dataset,
    tmp_path: Path,
    http_archive: Callable[[Path], RangeServer],
    now: Callable[[pd.Timestamp], None],
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(archive, damaged)
    missing = (30, timedelta("6h"))
    corrupt = (0, timedelta("252h"))
    (damaged / gefs_relative_path(INIT, missing[0], missing[1], "s")).unlink()
    corrupt_message(damaged / gefs_relative_path(INIT, corrupt[0], corrupt[1], "a"), "TMP", "2 m above ground")
    server = http_archive(damaged)
    store = empty_store(template_ds)
    data_vars = [config.data_var("temperature_2m"), config.data_var("precipitation_surface")]

    results = process(template_ds, data_vars, store, server.base_url)

    ds = stored(store)
    for var in data_vars:

        def available(init: pd.Timestamp, member: int, lead: pd.Timedelta, name: str = var.name) -> bool:
            return (member, lead) != missing and not (name == "temperature_2m" and (member, lead) == corrupt)

        for member in MEMBERS:
            expected = expected_stored_values(var, INIT, member, LEADS, available)
            np.testing.assert_array_equal(ds[var.name].values[0, member], expected, err_msg=f"{var.name} {member}")
        assert results[var.name].not_found == (f"{server.base_url}/{gefs_relative_path(INIT, 30, missing[1], 's')}",)
        assert len(results[var.name].read_failed) == (var.name == "temperature_2m")


def test_source_groups_share_file_types_and_stay_small() -> None:
    data_vars = NoaaGefsForecast35DayTemplateConfig().data_vars
    groups = NoaaGefsForecast35DayRegionJob.source_groups(data_vars)
    assert sorted(v.name for group in groups for v in group) == sorted(v.name for v in data_vars)
    for group in groups:
        assert 1 <= len(group) <= NoaaGefsForecast35DayRegionJob.max_vars_per_group
        assert len({(v.internal_attrs.fine_file_type, v.internal_attrs.coarse_file_type) for v in group}) == 1


def test_file_urls_follow_the_archive_layout() -> None:
    coord = GefsSourceFileCoord(
        base_url=S3_BASE_URL, init_time=INIT, lead_time=timedelta("246h"), fields=(), ensemble_member=0, file_type="b"
    )
    assert coord.get_url() == f"{S3_BASE_URL}/gefs.20240601/00/atmos/pgrb2bp5/gec00.t00z.pgrb2b.0p50.f246"
    fine = coord.model_copy(update={"ensemble_member": 30, "file_type": "s", "lead_time": timedelta("3h")})
    assert fine.get_url() == f"{S3_BASE_URL}/gefs.20240601/00/atmos/pgrb2sp25/gep30.t00z.pgrb2s.0p25.f003"
    assert fine.index_url() == fine.get_url() + ".idx"
    assert fine.out_loc() == {"init_time": INIT, "lead_time": timedelta("3h"), "ensemble_member": 30}


def test_coords_pick_the_file_type_by_lead_and_carry_the_member(
    template_ds: xr.Dataset, config: SmallGridTemplateConfig, now: Callable[[pd.Timestamp], None]
) -> None:
    group = [config.data_var("temperature_2m"), config.data_var("maximum_temperature_2m")]
    job = SmallGridRegionJob.get_jobs(template_ds, "init_time", group, source_url="http://127.0.0.1:9")[0]
    coords = job.generate_source_file_coords(template_ds.isel(init_time=job.region), group)
    assert len(coords) == len(MEMBERS) * len(LEADS)
    by_lead = {(c.ensemble_member, hours(c.lead_time)): c for c in coords}
    assert by_lead[(3, 240)].file_type == "s"
    assert by_lead[(3, 246)].file_type == "a"
    assert [f.forecast for f in by_lead[(3, 0)].fields] == ["anl"]
    assert [(f.element, f.forecast, f.ensemble_member) for f in by_lead[(3, 252)].fields] == [
        ("TMP", "252 hour fcst", 3),
        ("TMAX", "246-252 hour max fcst", 3),
    ]
    assert by_lead[(3, 237)].fields[1].forecast == "234-237 hour max fcst"


def test_a_real_region_is_processed_in_four_blocks_within_the_memory_budget(
    now: Callable[[pd.Timestamp], None],
) -> None:
    config = NoaaGefsForecast35DayTemplateConfig()
    template_ds = config.get_template(LATER).sel(init_time=slice(INIT, None))
    plan = first_job_block_plan(NoaaGefsForecast35DayRegionJob, template_ds, config.data_vars, S3_BASE_URL)
    assert NoaaGefsForecast35DayRegionJob.memory_budget_bytes is not None
    assert plan.parallelism == 2
    assert plan.parallelism * plan.block_size * 4 <= NoaaGefsForecast35DayRegionJob.memory_budget_bytes
    assert [(b["latitude"], b["longitude"].stop - b["longitude"].start) for b in plan.blocks] == [
        (slice(0, 721), 368),
        (slice(0, 721), 368),
        (slice(0, 721), 368),
        (slice(0, 721), 336),
    ]
    assert plan.block_size == 31 * 181 * 721 * 368
