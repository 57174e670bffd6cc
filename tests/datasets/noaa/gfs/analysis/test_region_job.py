from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.results import VariableResult, merge_results
from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.analysis.region_job import NoaaGfsAnalysisRegionJob
from datasets.noaa.gfs.analysis.template_config import GFS_ANALYSIS_DATA_VARS, NoaaGfsAnalysisTemplateConfig
from pipelines.demo.range_server import RangeServer
from tests.support.gfs_analysis_archive import (
    SmallGridAnalysisRegionJob,
    SmallGridAnalysisTemplateConfig,
    expected_analysis_values,
    source_of,
    write_analysis_archive,
)
from tests.support.gfs_archive import damaged_copy
from tests.support.region_jobs import Availability, empty_store, processed, readable_for, rendered_template, stored

START = timestamp("2021-05-01T00:00")
# The run before the dataset starts feeds the windowed variables of its first time.
INITS = list(pd.date_range(START - timedelta("6h"), periods=5, freq="6h"))
END = START + timedelta("24h")
WINDOWED = [v for v in GFS_ANALYSIS_DATA_VARS if v.internal_attrs.window_kind]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gfs-analysis-archive")
    write_analysis_archive(root, INITS)
    return root


@pytest.fixture
def template_ds(tmp_path: Path) -> xr.Dataset:
    return rendered_template(SmallGridAnalysisTemplateConfig(template_dir=tmp_path / "template"), END)


def in_archive(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
    return init in INITS and lead <= timedelta("6h")


def process_all(template_ds: xr.Dataset, store: Store, source_url: str) -> dict[str, VariableResult]:
    jobs = SmallGridAnalysisRegionJob.get_jobs(template_ds, "time", GFS_ANALYSIS_DATA_VARS, source_url=source_url)
    assert [(job.region, len(job.data_vars)) for job in jobs] == [
        (slice(0, 12), 15),
        (slice(0, 12), 10),
        (slice(12, 24), 15),
        (slice(12, 24), 10),
    ]
    return merge_results(job.process([store]) for job in jobs)


def assert_all_variables_as_expected(
    ds: xr.Dataset, available: Availability, unreadable: dict[str, Availability] | None = None
) -> None:
    times = list(pd.DatetimeIndex(ds["time"].values))
    for var in GFS_ANALYSIS_DATA_VARS:
        expected = expected_analysis_values(var, times, readable_for(available, unreadable, var.name), START)
        np.testing.assert_array_equal(ds[var.name].values, expected, err_msg=var.name)


def url(server: RangeServer, init: pd.Timestamp, lead: pd.Timedelta) -> str:
    return f"{server.base_url}/{gfs_relative_path(init, lead)}"


@pytest.mark.slow
def test_every_stored_value_of_every_variable_is_exact(
    archive: Path, template_ds: xr.Dataset, http_archive: Callable[[Path], RangeServer]
) -> None:
    store, results = processed(template_ds, http_archive(archive).base_url, process_all)

    ds = stored(store)
    assert_all_variables_as_expected(ds, in_archive)
    for name in ("precipitation_surface", "downward_short_wave_radiation_flux_surface", "maximum_temperature_2m"):
        values = ds[name].values
        assert np.isfinite(values[1:]).all(), name  # across the shard boundary at 12:00 too
        assert np.isnan(values[0]).all() == (name != "maximum_temperature_2m"), name
    assert all(not r.not_found and not r.read_failed for r in results.values())
    assert results["precipitation_surface"].counters == {"deaccumulation_invalid_values": 0}
    final = SmallGridAnalysisRegionJob.update_template_with_results(template_ds, results, "time")
    assert final.sizes["time"] == 24


@pytest.mark.slow
def test_missing_and_corrupt_files_leave_nan_and_are_reported(
    archive: Path, template_ds: xr.Dataset, tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    no_index = (INITS[1], timedelta("3h"))  # time 03: both kinds; 04: windows lose their predecessor
    no_grib = (INITS[2], timedelta("6h"))  # windowed values at 12:00, the first time of the second shard
    corrupt = (INITS[3], timedelta("2h"))  # temperature_2m at 14:00
    damaged = damaged_copy(
        archive, tmp_path, gfs_relative_path, no_index, no_grib, corrupt, ("TMP", "2 m above ground")
    )
    server = http_archive(damaged)
    store, results = processed(template_ds, server.base_url, process_all)

    def available(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        return in_archive(init, lead) and (init, lead) not in (no_index, no_grib)

    ds = stored(store)
    assert_all_variables_as_expected(ds, available, {"temperature_2m": lambda init, lead: (init, lead) == corrupt})
    assert np.isnan(ds["temperature_2m"].sel(time="2021-05-01T14:00").values).all()
    assert np.isnan(ds["precipitation_surface"].sel(time="2021-05-01T04:00").values).all()
    for var in GFS_ANALYSIS_DATA_VARS:
        result = results[var.name]
        assert url(server, *no_index) in result.not_found, var.name
        assert (url(server, *no_grib) in result.not_found) == (var in WINDOWED), var.name
        failed = [entry for entry in result.read_failed if entry.startswith(url(server, *corrupt))]
        assert len(failed) == (var.name == "temperature_2m"), var.name


def test_sources_per_time_and_the_padding_step(template_ds: xr.Dataset) -> None:
    instant_job, windowed_job = SmallGridAnalysisRegionJob.get_jobs(
        template_ds, "time", GFS_ANALYSIS_DATA_VARS, source_url="http://127.0.0.1:9", filter_start=END - timedelta("1h")
    )
    assert instant_job.get_processing_region() == slice(11, 24)

    def sources(job: NoaaGfsAnalysisRegionJob) -> list[tuple[str, int, tuple[str, ...]]]:
        processing = template_ds.isel(time=job.get_processing_region())
        coords = job.generate_source_file_coords(processing, job.data_vars)
        return [
            (f"{c.init_time:%H}", int(c.lead_time / timedelta("1h")), tuple(f.element or "" for f in c.fields))
            for c in coords
        ]

    instant = sources(instant_job)
    windowed = sources(windowed_job)
    assert [(init, lead) for init, lead, _ in instant] == [("12", h) for h in range(6)] + [("18", h) for h in range(6)]
    # the padding step (11:00) brings only what deaccumulation needs: accumulations and window averages
    assert windowed[0] == ("06", 5, ("APCP", "TCDC", "DSWRF", "DLWRF"))
    assert [(init, lead) for init, lead, _ in windowed[1:]] == [("06", 6)] + [("12", h) for h in range(1, 7)] + [
        ("18", h) for h in range(1, 6)
    ]
    assert set(windowed[1][2]) == {v.internal_attrs.grib_element for v in WINDOWED}
    forecasts = {
        f.element: f.forecast
        for f in windowed_job.source_file_coord(*source_of(END - timedelta("6h"), True), WINDOWED).fields
    }
    assert forecasts == {
        "TMAX": "0-6 hour max fcst",
        "TMIN": "0-6 hour min fcst",
        "APCP": "0-6 hour acc fcst",
        **dict.fromkeys(("CSNOW", "CICEP", "CFRZR", "CRAIN", "TCDC", "DSWRF", "DLWRF"), "0-6 hour ave fcst"),
    }

    after_reset = SmallGridAnalysisRegionJob.get_jobs(
        template_ds, "time", WINDOWED, source_url="http://127.0.0.1:9", filter_start=START
    )[0]
    first = after_reset.model_copy(update={"region": slice(7, 12)})  # 06:00 precedes 07:00: no padding fetched
    coords = first.generate_source_file_coords(template_ds.isel(time=first.get_processing_region()), WINDOWED)
    assert (coords[0].init_time, coords[0].lead_time) == (START + timedelta("6h"), timedelta("1h"))


def test_operational_update_jobs_carry_the_published_extent() -> None:
    config = NoaaGfsAnalysisTemplateConfig()
    published = config.get_template(timestamp("2021-06-30T18:00"))  # 1458 hours: 18 into the second shard
    now = timestamp("2021-07-01T03:40")

    jobs, template = NoaaGfsAnalysisRegionJob.operational_update_jobs(
        published, config.get_template, "time", GFS_ANALYSIS_DATA_VARS, now, source_url="http://127.0.0.1:9"
    )

    assert template["time"].values[-1] == np.datetime64("2021-07-01T03:00")
    assert [(job.region, len(job.data_vars)) for job in jobs] == [(slice(1440, 1468), 15), (slice(1440, 1468), 10)]
    assert {job.published_extent for job in jobs} == {1458}


def test_update_rechecks_the_published_tail(template_ds: xr.Dataset) -> None:
    store = empty_store(template_ds)
    names = [v.name for v in GFS_ANALYSIS_DATA_VARS if not v.internal_attrs.window_kind]
    values = np.ones((15, *template_ds[names[0]].shape[1:]), dtype=np.float32)
    for name in names:
        xr.Dataset({name: (template_ds[name].dims, values)}).to_zarr(store, region={"time": slice(0, 15)}, mode="r+")

    def write_start(published_extent: int) -> int:
        job = SmallGridAnalysisRegionJob.get_jobs(
            template_ds,
            "time",
            GFS_ANALYSIS_DATA_VARS,
            source_url="http://127.0.0.1:9",
            published_extent=published_extent,
        )[2]
        return job.region_to_write(store).start

    assert write_start(0) == 12  # a backfill rewrites the whole shard
    assert write_start(15) == 15  # every published position holds values: fetch only what is new
    xr.Dataset({names[3]: (template_ds[names[3]].dims, np.full_like(values[:1], np.nan))}).to_zarr(
        store, region={"time": slice(13, 14)}, mode="r+"
    )
    assert write_start(15) == 13  # a hole among the last published positions is fetched again
    assert write_start(20) == 15  # positions older than the recheck window are kept as they are
