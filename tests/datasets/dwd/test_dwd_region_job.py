import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from datasets.common.timestamps import timedelta, timestamp
from datasets.dwd.icon_eu.forecast.region_job import DWD_BASE_URL, DwdIconEuForecastRegionJob, IconEuSourceFileCoord
from datasets.dwd.icon_eu.forecast.template_config import ICON_EU_DATA_VARS, DwdIconEuForecastTemplateConfig
from tests.support.dwd_archive import SmallGridRegionJob, SmallGridTemplateConfig

CONFIG = DwdIconEuForecastTemplateConfig()
BY_NAME = {v.name: v for v in ICON_EU_DATA_VARS}


def coords_for(template_ds: xr.Dataset, name: str, init_index: int) -> Sequence[IconEuSourceFileCoord]:
    job = SmallGridRegionJob.get_jobs(
        template_ds, "init_time", ICON_EU_DATA_VARS, filter_variable_names=[name], source_url="http://127.0.0.1:9/"
    )[init_index]
    return job.generate_source_file_coords(template_ds.isel(init_time=job.region), job.data_vars)


def test_source_files_follow_dwd_layout_and_each_run_length(tmp_path: Path) -> None:
    config = SmallGridTemplateConfig(template_dir=tmp_path)
    config.update_template()
    template_ds = config.get_template(timestamp("2026-01-01T06:00"))  # the 00 and 03 UTC runs

    temperature_00, temperature_03 = (
        coords_for(template_ds, "temperature_2m", 0),
        coords_for(template_ds, "temperature_2m", 1),
    )
    precipitation_00, precipitation_03 = (
        coords_for(template_ds, "precipitation_surface", 0),
        coords_for(template_ds, "precipitation_surface", 1),
    )

    assert [len(temperature_00), len(temperature_03), len(precipitation_00), len(precipitation_03)] == [93, 31, 92, 30]
    assert temperature_03[-1].lead_time == timedelta("30h")
    assert precipitation_00[0].lead_time == timedelta("1h")
    assert precipitation_03[0].get_url() == (
        "http://127.0.0.1:9/03/tot_prec/icon-eu_europe_regular-lat-lon_single-level_2026010103_001_TOT_PREC.grib2.bz2"
    )
    assert (
        temperature_00[-1]
        .get_url()
        .endswith("/00/t_2m/icon-eu_europe_regular-lat-lon_single-level_2026010100_120_T_2M.grib2.bz2")
    )
    assert temperature_00[0].field.forecast == "anl"
    assert temperature_00[0].field.level == "2 m above ground"
    assert {c.lead_time: c.field.forecast for c in precipitation_00}[timedelta("48h")] == "0-2 day acc fcst"
    gusts = {c.lead_time: c.field.forecast for c in coords_for(template_ds, "wind_gust_10m", 0)}
    assert (gusts[timedelta("1h")], gusts[timedelta("78h")], gusts[timedelta("81h")]) == (
        "0-1 hour max fcst",
        "77-78 hour max fcst",
        "78-81 hour max fcst",
    )
    radiation = {
        c.lead_time: c.field.forecast for c in coords_for(template_ds, "net_long_wave_radiation_flux_surface", 0)
    }
    assert radiation[timedelta("81h")] == "0-81 hour ave fcst"


def published(end: str, ingested_hours: dict[str, float]) -> xr.Dataset:
    """The published dataset up to `end` (exclusive): every init complete unless listed."""
    ds = CONFIG.get_template(timestamp(end))
    ingested = ds["expected_forecast_length"].values.copy()
    for init, hours in ingested_hours.items():
        index = pd.DatetimeIndex(ds["init_time"].values).get_loc(timestamp(init))
        ingested[index] = np.timedelta64("NaT", "h") if np.isnan(hours) else np.timedelta64(int(hours), "h")
    return ds.assign_coords(ingested_forecast_length=ds["ingested_forecast_length"].copy(data=ingested))


def update_inits(published_ds: xr.Dataset, now: str, source_url: str = DWD_BASE_URL) -> list[str]:
    jobs, template = DwdIconEuForecastRegionJob.operational_update_jobs(
        published_ds, CONFIG.get_template, "init_time", ICON_EU_DATA_VARS, timestamp(now), source_url=source_url
    )
    assert template["init_time"].values[-1] <= np.datetime64(timestamp(now))
    assert all(job.source_url == source_url for job in jobs)
    regions = sorted({(job.region.start, job.region.stop) for job in jobs})
    assert len(jobs) == len(regions) * len(ICON_EU_DATA_VARS)
    times = pd.DatetimeIndex(template["init_time"].values)
    return [f"{times[start]:%dT%H}" for start, _ in regions]


def test_update_reprocesses_the_latest_and_incomplete_published_inits_that_are_still_online(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ds = published("2026-01-03T03:00", {"2026-01-01T21:00": np.nan, "2026-01-02T06:00": 100, "2026-01-02T12:00": 0})

    inits = update_inits(ds, "2026-01-03T04:00")

    # 01T21 is incomplete but older than 24 h; 02T06 and 02T12 are incomplete; 03T00 is the latest published.
    assert inits == ["02T06", "02T12", "03T00", "03T03"]
    assert not caplog.records


def test_update_after_a_long_outage_skips_inits_dwd_no_longer_serves_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ds = published("2026-01-02T00:00", {})  # the latest published init is 01T21

    with caplog.at_level(logging.WARNING):
        inits = update_inits(ds, "2026-01-03T10:00")

    assert inits == ["02T12", "02T15", "02T18", "02T21", "03T00", "03T03", "03T06", "03T09"]
    (record,) = caplog.records
    assert "4 init times from 2026-01-02T00:00:00 to 2026-01-02T09:00:00" in record.getMessage()
    assert "--source-url" in record.getMessage()


def test_update_from_a_mirror_processes_every_new_init(caplog: pytest.LogCaptureFixture) -> None:
    ds = published("2026-01-02T00:00", {"2026-01-01T06:00": 50})

    inits = update_inits(ds, "2026-01-03T10:00", source_url="s3://my-archive/icon-eu/grib")

    assert inits == [f"{t:%dT%H}" for t in pd.date_range("2026-01-02T00:00", "2026-01-03T09:00", freq="3h")]
    assert not caplog.records
