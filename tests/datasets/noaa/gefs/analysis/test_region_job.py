from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.results import VariableResult, merge_results
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gefs.analysis.region_job import REFORECAST_ABSENT, REFORECAST_BUCKET, NoaaGefsAnalysisRegionJob
from datasets.noaa.gefs.analysis.template_config import (
    GEFS_ANALYSIS_DATA_VARS,
    NoaaGefsAnalysisTemplateConfig,
)
from pipelines.demo.range_server import RangeServer
from tests.support.gefs_analysis_archive import (
    PRE_V12_INITS,
    START,
    TEST_OPERATIONAL_START,
    SmallGridGefsAnalysisRegionJob,
    SmallGridGefsAnalysisTemplateConfig,
    expected_gefs_analysis_values,
    operational_path,
    pre_v12_path,
    reforecast_path,
    write_gefs_analysis_archive,
)
from tests.support.gfs_archive import corrupt_message
from tests.support.region_jobs import processed, rendered_template, stored

END = START + timedelta("72h")  # 24 times: 9 reforecast, 3 pre-v12 (4 of windowed variables), 12 operational
REFORECAST_INITS = [START - timedelta("24h"), START]
OPERATIONAL_INITS = list(pd.date_range(TEST_OPERATIONAL_START, END, freq="6h"))
BY_NAME = {v.name: v for v in GEFS_ANALYSIS_DATA_VARS}


def process_all(template_ds: xr.Dataset, store: Store, source_url: str) -> dict[str, VariableResult]:
    jobs = SmallGridGefsAnalysisRegionJob.get_jobs(template_ds, "time", GEFS_ANALYSIS_DATA_VARS, source_url=source_url)
    assert len(jobs) == 2 * len(GEFS_ANALYSIS_DATA_VARS)  # one job per shard and variable
    return merge_results(job.process([store]) for job in jobs)


@pytest.mark.slow
def test_every_value_exact_across_the_three_layouts_and_bad_files_stay_nan_and_are_listed(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    template_ds = rendered_template(SmallGridGefsAnalysisTemplateConfig(template_dir=tmp_path / "template"), END)
    damaged = tmp_path / "archive"  # complete but for the four files damaged below
    write_gefs_analysis_archive(damaged, REFORECAST_INITS, PRE_V12_INITS, OPERATIONAL_INITS)
    missing_reforecast = reforecast_path(BY_NAME["temperature_2m"], START)  # 2019-12-31T03 .. 2020-01-01T00
    (damaged / missing_reforecast).unlink()
    missing_operational = operational_path(TEST_OPERATIONAL_START + timedelta("12h"), timedelta("3h"))  # s file
    (damaged / (missing_operational + ".idx")).unlink()
    corrupt = damaged / reforecast_path(BY_NAME["precipitation_surface"], START)
    corrupt_message(corrupt, 2)  # lead 9 h: 2019-12-31T09
    missing_pre_v12 = pre_v12_path(PRE_V12_INITS[1], timedelta("6h"), "a")  # windowed `a` variables at 2020-01-01T12
    (damaged / missing_pre_v12).unlink()
    server = http_archive(damaged)
    store, results = processed(template_ds, server.base_url, process_all)

    first_operational = TEST_OPERATIONAL_START + timedelta("12h")

    def available(name: str, init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        if name == "temperature_2m" and init == START:
            return False
        if init == first_operational and lead == timedelta("3h") and BY_NAME[name].internal_attrs.fine_file_type:
            return False
        if (
            init == PRE_V12_INITS[1]
            and lead == timedelta("6h")
            and BY_NAME[name].internal_attrs.coarse_file_type == "a"
        ):
            return False
        return not (name == "precipitation_surface" and init == START and lead == timedelta("9h"))

    ds = stored(store)
    times = list(pd.DatetimeIndex(ds["time"].values))
    assert len(times) == 24
    for var in GEFS_ANALYSIS_DATA_VARS:
        expected = expected_gefs_analysis_values(var, times, available)
        np.testing.assert_array_equal(ds[var.name].values, expected, err_msg=var.name)

    # 8: 2020-01-01T00 (reforecast), 9-11: 03-09 (pre-v12), 12: 2020-01-01T12 (operational but windowed values)
    t2m = ds["temperature_2m"].values
    assert np.isfinite(t2m[0]).all()
    assert np.isnan(t2m[1:10]).all()  # 03 UTC interpolates from 00 UTC, which lacks
    assert np.isfinite(t2m[10:17]).all()  # 09 UTC: between pre-v12 06 UTC and the first operational run
    assert np.isfinite(ds["pressure_reduced_to_mean_sea_level"].values[:9]).all()  # PRES at msl in the reforecast
    assert np.isfinite(ds["geopotential_height_500hpa"].values[:9]).all()  # a 0.5 degree reforecast file
    wind_80m = ds["wind_u_80m"].values
    assert np.isnan(wind_80m[:10]).all()  # not in the reforecast (nor then is 03 UTC)
    assert np.isfinite(wind_80m[10:]).all()  # a pre-v12 `b` file
    surface = ds["pressure_surface"].values
    assert np.isfinite(surface[:17]).all()
    assert np.isfinite(surface[18:]).all()
    assert np.isnan(surface[17]).all()  # 2020-01-02T03: its `s` file has no index
    precipitation = ds["precipitation_surface"].values
    assert np.isfinite(precipitation[8:11]).all()  # 06 UTC from lead 6 h of pre-v12 00 UTC, 03 UTC between
    assert np.isnan(precipitation[11:13]).all()  # 12 UTC's pre-v12 file lacks, so 09 UTC has no value after it
    assert np.isfinite(precipitation[13:17]).all()
    assert np.isfinite(precipitation[19:]).all()
    assert np.isnan(precipitation[17:19]).all()  # 03 UTC's file lacks, and 06 UTC deaccumulates from it
    snow = ds["categorical_snow_surface"].values
    assert np.isfinite(snow[[10, 13]]).all()
    assert np.isnan(snow[[9, 11]]).all()  # a flag is not interpolated
    assert np.isnan(ds["geopotential_height_cloud_ceiling"].values[9:12]).all()  # not in pre-v12 files

    base = server.base_url
    # one listing per time the missing reforecast file feeds: 2019-12-31T03 to 2020-01-01T00
    missing = (f"{base}/{missing_operational}",)  # no index: the file counts as not found
    assert results["temperature_2m"].not_found == (f"{base}/{missing_reforecast}",) * 8 + missing
    assert results["pressure_surface"].not_found == missing
    assert results["wind_u_100m"].not_found == ()  # a `b` file: complete
    # the missing pre-v12 file: read for 12 UTC and, by the first shard, for the interpolation at 09 UTC
    pre_v12 = f"{base}/{missing_pre_v12}"
    assert results["precipitation_surface"].not_found == (pre_v12, pre_v12, *missing)
    assert results["categorical_snow_surface"].not_found == (pre_v12, *missing)  # a flag: no interpolation
    ceiling = f"{base}/{pre_v12_path(PRE_V12_INITS[1], timedelta(0), 'b')}: no idx entry for HGT:cloud ceiling:anl"
    assert results["geopotential_height_cloud_ceiling"].not_found == (ceiling, *missing)
    (failed,) = results["precipitation_surface"].read_failed
    assert reforecast_path(BY_NAME["precipitation_surface"], START) in failed
    # a reforecast file serves up to eight times: each variable's job reads its index once per run (two runs)
    indexes = [r.path for r in server.requests if r.path.endswith(".idx") and REFORECAST_BUCKET in r.path]
    assert len(indexes) == 2 * (len(GEFS_ANALYSIS_DATA_VARS) - len(REFORECAST_ABSENT))
    for name in REFORECAST_ABSENT:  # never requested in the reforecast era
        attrs = BY_NAME[name].internal_attrs
        files = (pre_v12,) if attrs.window_kind is not None and attrs.coarse_file_type == "a" else ()
        files += missing if attrs.fine_file_type else ()
        assert results[name].not_found == files, name
        assert results[name].read_failed == (), name


def sources(job: NoaaGefsAnalysisRegionJob, template_ds: xr.Dataset) -> list[str]:
    processing = template_ds.isel(time=job.get_processing_region())
    return [c.relative_path() for c in job.generate_source_file_coords(processing, job.data_vars)]


def test_sources_per_time_at_the_real_switch_dates() -> None:
    template_ds = NoaaGefsAnalysisTemplateConfig().get_template(timestamp("2020-09-24T00:00"))  # times before it
    by_name = {v.name: v for v in GEFS_ANALYSIS_DATA_VARS}

    def job_at(name: str, time: str) -> NoaaGefsAnalysisRegionJob:
        (job,) = NoaaGefsAnalysisRegionJob.get_jobs(
            template_ds,
            "time",
            [by_name[name]],
            source_url="http://127.0.0.1:9",
            filter_contains=[timestamp(time)],
        )
        return job

    t2m = sources(job_at("temperature_2m", "2019-12-31T00:00"), template_ds)
    region = job_at("temperature_2m", "2019-12-31T00:00").region
    times = pd.DatetimeIndex(template_ds["time"].values[region])
    assert times[0] > timestamp("2000-01-01T00:00")
    assert times[-1] < timestamp("2020-09-23T12:00")
    # daily 00 UTC reforecast runs, leads 3-24 h; 2020-01-01T00 from lead 24 h of 2019-12-31
    reforecast = [p for p in t2m if p.startswith("noaa-gefs-retrospective/")]
    assert (
        reforecast[-8:]
        == ["noaa-gefs-retrospective/GEFSv12/reforecast/2019/2019123100/c00/Days:1-10/tmp_2m_2019123100_c00.grib2"] * 8
    )
    assert len(reforecast) == np.count_nonzero(times <= timestamp("2020-01-01T00:00"))
    # then lead 0 of each 6-hourly pre-v12 run: the times between are interpolated, the one after the region too
    pre_v12 = t2m[len(reforecast) :]
    assert pre_v12[0] == "noaa-gefs-pds/gefs.20200101/06/pgrb2a/gec00.t06z.pgrb2af00"
    after = times[-1] + timedelta("3h")
    assert after.hour % 6 == 0
    assert pre_v12[-1] == f"noaa-gefs-pds/gefs.{after:%Y%m%d}/{after:%H}/pgrb2a/gec00.t{after:%H}z.pgrb2af00"
    six_hourly = (times > timestamp("2020-01-01T00:00")) & (times.hour % 6 == 0)
    assert len(pre_v12) == np.count_nonzero(six_hourly) + 1

    prmsl = sources(job_at("pressure_reduced_to_mean_sea_level", "2019-12-31T00:00"), template_ds)
    assert prmsl[len(reforecast) - 1].endswith("/2019123100/c00/Days:1-10/pres_msl_2019123100_c00.grib2")
    # not in the reforecast, in the pre-v12 files
    assert sources(job_at("relative_humidity_2m", "2019-12-31T00:00"), template_ds) == pre_v12
    ceiling = sources(job_at("geopotential_height_cloud_ceiling", "2019-12-31T00:00"), template_ds)
    assert ceiling[len(reforecast)] == "noaa-gefs-pds/gefs.20200101/06/pgrb2b/gec00.t06z.pgrb2bf00"

    # the last shard: 2020-09-23T12 is the first operational time; windowed values start 3 h later
    instant = sources(job_at("temperature_2m", "2020-09-23T12:00"), template_ds)
    assert instant[-5:] == [
        "noaa-gefs-pds/gefs.20200923/06/pgrb2a/gec00.t06z.pgrb2af00",
        "noaa-gefs-pds/gefs.20200923/12/atmos/pgrb2sp25/gec00.t12z.pgrb2s.0p25.f000",
        "noaa-gefs-pds/gefs.20200923/12/atmos/pgrb2sp25/gec00.t12z.pgrb2s.0p25.f003",
        "noaa-gefs-pds/gefs.20200923/18/atmos/pgrb2sp25/gec00.t18z.pgrb2s.0p25.f000",
        "noaa-gefs-pds/gefs.20200923/18/atmos/pgrb2sp25/gec00.t18z.pgrb2s.0p25.f003",
    ]
    precipitation = sources(job_at("precipitation_surface", "2020-09-23T12:00"), template_ds)
    assert [p.rsplit("/", 1)[1] for p in precipitation[-5:]] == [
        "gec00.t00z.pgrb2af06",  # 2020-09-23T06
        "gec00.t06z.pgrb2af06",  # 2020-09-23T12: a 6-hour window of the last pre-v12 run
        "gec00.t12z.pgrb2s.0p25.f003",
        "gec00.t12z.pgrb2s.0p25.f006",
        "gec00.t18z.pgrb2s.0p25.f003",
    ]
    wind = sources(job_at("wind_u_100m", "2020-09-23T12:00"), template_ds)
    assert wind[-5] == "noaa-gefs-pds/gefs.20200923/06/pgrb2b/gec00.t06z.pgrb2bf00"
    assert wind[-4] == "noaa-gefs-pds/gefs.20200923/12/atmos/pgrb2bp5/gec00.t12z.pgrb2b.0p50.f000"
