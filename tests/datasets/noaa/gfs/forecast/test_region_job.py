from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.errors import SourceNotFoundError
from datasets.common.results import VariableResult, merge_results
from datasets.common.sources.synthetic_archive import gfs_relative_path
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.chain import DEACCUMULATION_INVALID
from datasets.noaa.gfs.forecast import region_job
from datasets.noaa.gfs.forecast.region_job import (
    S3_BASE_URL,
    GfsSourceFileCoord,
    NoaaGfsForecastRegionJob,
)
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, NoaaGfsForecastTemplateConfig
from pipelines.demo.range_server import RangeServer
from tests.support.gfs_archive import (
    SmallGridRegionJob,
    SmallGridTemplateConfig,
    assert_all_variables_as_expected,
    damaged_copy,
    hours,
    write_test_archive,
)
from tests.support.region_jobs import processed, rendered_template, stored

START = timestamp("2021-05-01T00:00")
INITS = list(pd.date_range(START, periods=3, freq="6h"))
# Hourly leads across the 6 h resets at 0 and 6, then the switch to 3-hourly at 120 with resets at 120, 126, 132
ARCHIVE_LEADS = [timedelta(f"{h}h") for h in [*range(10), *range(114, 121), 123, 126, 129, 132]]
ARCHIVE_HOURS = {hours(lead) for lead in ARCHIVE_LEADS}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gfs-archive")
    write_test_archive(root, INITS, ARCHIVE_LEADS)
    return root


@pytest.fixture
def template_ds(tmp_path: Path) -> xr.Dataset:
    return rendered_template(SmallGridTemplateConfig(template_dir=tmp_path / "template"), INITS[-1] + timedelta("6h"))


def process_all(template_ds: xr.Dataset, store: Store, source_url: str) -> dict[str, VariableResult]:
    jobs = SmallGridRegionJob.get_jobs(template_ds, "init_time", GFS_DATA_VARS, source_url=source_url)
    assert [job.region for job in jobs] == [slice(i, i + 1) for i in range(len(INITS))]
    return merge_results(job.process([store]) for job in jobs)


def in_archive(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
    return hours(lead) in ARCHIVE_HOURS


def url(server: RangeServer, init: pd.Timestamp, lead: pd.Timedelta) -> str:
    return f"{server.base_url}/{gfs_relative_path(init, lead)}"


@pytest.mark.slow
def test_every_stored_value_of_every_variable_is_exact(
    archive: Path, template_ds: xr.Dataset, http_archive: Callable[[Path], RangeServer]
) -> None:
    store, results = processed(template_ds, http_archive(archive).base_url, process_all)

    ds = stored(store)
    assert_all_variables_as_expected(ds, INITS, in_archive)
    precipitation = ds["precipitation_surface"].values
    assert np.isfinite(precipitation).sum() > 0
    assert (precipitation[np.isfinite(precipitation)] > 0).all()
    assert set(results) == {v.name for v in GFS_DATA_VARS}
    for result in results.values():
        assert result.succeeded == len(INITS) * len(ARCHIVE_LEADS)
        assert result.read_failed == ()
        assert len(result.not_found) == len(INITS) * (209 - len(ARCHIVE_LEADS))
    assert results["precipitation_surface"].counters == {DEACCUMULATION_INVALID: 0}

    final = SmallGridRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values) == [np.timedelta64(132, "h")] * len(INITS)


@pytest.mark.slow
def test_missing_index_missing_grib_and_a_corrupt_message(
    archive: Path, template_ds: xr.Dataset, tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    no_index = (INITS[0], timedelta("3h"))
    no_grib = (INITS[1], timedelta("7h"))
    corrupt = (INITS[2], timedelta("126h"))
    damaged = damaged_copy(
        archive, tmp_path, gfs_relative_path, no_index, no_grib, corrupt, ("TMP", "2 m above ground")
    )
    short_init = INITS[2]  # this init only reached 120 h
    for lead in ARCHIVE_LEADS:
        if lead > timedelta("120h") and lead != corrupt[1]:
            (damaged / gfs_relative_path(short_init, lead)).unlink()
    server = http_archive(damaged)
    store, results = processed(template_ds, server.base_url, process_all)

    def available(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        if init == short_init and lead > timedelta("120h") and lead != corrupt[1]:
            return False
        return in_archive(init, lead) and (init, lead) not in (no_index, no_grib)

    assert_all_variables_as_expected(
        stored(store), INITS, available, {"temperature_2m": lambda init, lead: (init, lead) == corrupt}
    )
    for var in GFS_DATA_VARS:
        result = results[var.name]
        assert url(server, *no_index) in result.not_found
        assert url(server, *no_grib) in result.not_found
        failed = [entry for entry in result.read_failed if entry.startswith(url(server, *corrupt))]
        assert len(failed) == (var.name == "temperature_2m"), var.name
    final = SmallGridRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [132, 132, 126]


def test_lead_0_has_only_instant_fields(template_ds: xr.Dataset) -> None:
    job = SmallGridRegionJob.get_jobs(template_ds, "init_time", GFS_DATA_VARS, source_url="http://127.0.0.1:9")[0]
    coords: Sequence[GfsSourceFileCoord] = job.generate_source_file_coords(
        template_ds.isel(init_time=job.region), GFS_DATA_VARS
    )
    assert len(coords) == 209
    lead_0, lead_126 = coords[0], next(c for c in coords if c.lead_time == timedelta("126h"))
    instant = [v for v in GFS_DATA_VARS if v.internal_attrs.window_kind is None]
    assert [f.element for f in lead_0.fields] == [v.internal_attrs.grib_element for v in instant]
    assert {f.forecast for f in lead_0.fields} == {"anl"}
    forecasts = {f.element: f.forecast for f in lead_126.fields}
    assert forecasts["APCP"] == "120-126 hour acc fcst"
    assert forecasts["TMAX"] == "120-126 hour max fcst"
    assert forecasts["DSWRF"] == "120-126 hour ave fcst"
    assert forecasts["TMP"] == "126 hour fcst"
    assert lead_0.get_url() == "http://127.0.0.1:9/gfs.20210501/00/atmos/gfs.t00z.pgrb2.0p25.f000"


def test_recent_inits_fall_back_to_nomads_unless_the_source_is_overridden(
    archive: Path,
    template_ds: xr.Dataset,
    tmp_path: Path,
    http_archive: Callable[[Path], RangeServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "empty").mkdir()
    s3, nomads, mirror = http_archive(tmp_path / "empty"), http_archive(archive), http_archive(tmp_path / "empty")

    class Job(SmallGridRegionJob):
        default_source_url: ClassVar[str] = s3.base_url
        recent_fallback_url: ClassVar[str] = nomads.base_url

    def download(source_url: str, now: pd.Timestamp) -> Path:
        monkeypatch.setattr(region_job, "utc_now", lambda: now)
        job = Job.get_jobs(template_ds, "init_time", GFS_DATA_VARS, source_url=source_url)[0]
        coord = job.generate_source_file_coords(template_ds.isel(init_time=job.region), GFS_DATA_VARS)[1]
        path = job.download_file(coord).downloaded_path
        assert path is not None
        return path

    index_path = gfs_relative_path(INITS[0], timedelta("1h")) + ".idx"
    assert download(s3.base_url, INITS[0] + timedelta("11h")).stat().st_size > 0
    assert s3.requests_for(index_path)
    assert nomads.requests_for(index_path)
    with pytest.raises(SourceNotFoundError):
        download(s3.base_url, INITS[0] + timedelta("12h"))
    with pytest.raises(SourceNotFoundError):
        download(mirror.base_url, INITS[0] + timedelta("1h"))
    assert len(nomads.requests_for(index_path)) == 1


def test_deaccumulation_failures_are_counted(template_ds: xr.Dataset) -> None:
    job = SmallGridRegionJob.get_jobs(template_ds, "init_time", GFS_DATA_VARS, source_url="http://127.0.0.1:9")[0]
    precipitation = next(v for v in GFS_DATA_VARS if v.internal_attrs.deaccumulate_to_rate)
    region = template_ds[precipitation.name].isel(init_time=slice(0, 1), lead_time=slice(0, 4))
    accumulations = [np.nan, 3.6, 7.2, 0.0]  # the last one drops: bad data
    data = xr.DataArray(
        np.broadcast_to(np.array(accumulations, dtype=np.float32)[None, :, None, None], region.shape).copy(),
        coords=region.coords,
        dims=region.dims,
    )

    counters = job.apply_data_transformations(data, precipitation)

    assert counters == {DEACCUMULATION_INVALID: data[0, 3].size}
    rates = data.values[0, :, 0, 0]
    np.testing.assert_allclose(rates, [np.nan, 0.001, 0.001, np.nan], rtol=2**-8)  # 7 mantissa bits kept


def test_operational_update_reprocesses_the_latest_published_init_and_adds_new_ones() -> None:
    config = NoaaGfsForecastTemplateConfig()
    published = config.get_template(timestamp("2021-05-01T18:00"))  # inits 00, 06 and 12 published
    now = timestamp("2021-05-02T05:38")

    jobs, template = NoaaGfsForecastRegionJob.operational_update_jobs(
        published, config.get_template, "init_time", GFS_DATA_VARS, now, source_url=S3_BASE_URL
    )

    assert template["init_time"].values[-1] == np.datetime64("2021-05-02T00:00")
    assert [job.region for job in jobs] == [slice(2, 3), slice(3, 4), slice(4, 5)]
    assert all(job.data_vars == GFS_DATA_VARS and job.source_url == S3_BASE_URL for job in jobs)
