from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.results import VariableResult, merge_results
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.hrrr.analysis.template_config import HRRR_ANALYSIS_DATA_VARS
from pipelines.demo.range_server import RangeServer
from tests.support.gfs_archive import damaged_copy
from tests.support.hrrr_analysis_archive import (
    SmallGridHrrrAnalysisRegionJob,
    SmallGridHrrrAnalysisTemplateConfig,
    expected_hrrr_analysis_values,
    write_hrrr_analysis_archive,
)
from tests.support.hrrr_archive import hrrr_relative_path
from tests.support.region_jobs import Availability, processed, readable_for, rendered_template, stored

START = timestamp("2018-07-13T12:00")
END = START + timedelta("24h")
# The run an hour before the dataset starts feeds the accumulations of its first time.
INITS = list(pd.date_range(START - timedelta("1h"), END, freq="1h", inclusive="left"))
ACCUMULATED = {v.name for v in HRRR_ANALYSIS_DATA_VARS if v.internal_attrs.deaccumulate_to_rate}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hrrr-analysis-archive")
    write_hrrr_analysis_archive(root, INITS)
    return root


@pytest.fixture
def template_ds(tmp_path: Path) -> xr.Dataset:
    return rendered_template(SmallGridHrrrAnalysisTemplateConfig(template_dir=tmp_path / "template"), END)


def process_all(template_ds: xr.Dataset, store: Store, source_url: str) -> dict[str, VariableResult]:
    jobs = SmallGridHrrrAnalysisRegionJob.get_jobs(template_ds, "time", HRRR_ANALYSIS_DATA_VARS, source_url=source_url)
    instant = len(HRRR_ANALYSIS_DATA_VARS) - len(ACCUMULATED)
    assert [(job.region, len(job.data_vars)) for job in jobs] == [
        (slice(0, 12), instant),
        (slice(0, 12), len(ACCUMULATED)),
        (slice(12, 24), instant),
        (slice(12, 24), len(ACCUMULATED)),
    ]
    return merge_results(job.process([store]) for job in jobs)


def assert_all_as_expected(ds: xr.Dataset, available: Availability, unreadable: dict[str, Availability]) -> None:
    times = list(pd.DatetimeIndex(ds["time"].values))
    for var in HRRR_ANALYSIS_DATA_VARS:
        expected = expected_hrrr_analysis_values(var, times, readable_for(available, unreadable, var.name), START)
        np.testing.assert_array_equal(ds[var.name].values, expected, err_msg=var.name)


@pytest.mark.slow
def test_every_value_exact_and_bad_files_stay_nan_and_are_listed(
    archive: Path, template_ds: xr.Dataset, tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    no_index = (START + timedelta("3h"), timedelta("0h"))  # every instant variable at 15:00
    no_grib = (START + timedelta("12h"), timedelta("1h"))  # accumulations at 01:00, the second shard's first time
    corrupt = (START + timedelta("20h"), timedelta("0h"))  # temperature_2m at 08:00
    damaged = damaged_copy(
        archive, tmp_path, hrrr_relative_path, no_index, no_grib, corrupt, ("TMP", "2 m above ground")
    )
    server = http_archive(damaged)
    store, results = processed(template_ds, server.base_url, process_all)

    def available(init: pd.Timestamp, lead: pd.Timedelta) -> bool:
        return (init, lead) not in (no_index, no_grib)

    ds = stored(store)
    assert_all_as_expected(ds, available, {"temperature_2m": lambda init, lead: (init, lead) == corrupt})
    assert np.isfinite(ds["precipitation_surface"].values[1:12]).all()
    assert np.isnan(ds["precipitation_surface"].values[0]).all()  # the dataset's first time has no predecessor
    assert np.isfinite(ds["precipitation_surface"].values[14:]).all()  # across the shard boundary
    for var in HRRR_ANALYSIS_DATA_VARS:
        result = results[var.name]
        accumulated = var.name in ACCUMULATED
        assert result.succeeded == 24 - 1 - (var.name == "temperature_2m"), var.name  # one file each lacks
        assert result.not_found == (f"{server.base_url}/{hrrr_relative_path(*(no_grib if accumulated else no_index))}",)
        failed = [entry for entry in result.read_failed if hrrr_relative_path(*corrupt) in entry]
        assert len(failed) == (var.name == "temperature_2m"), var.name


def test_sources_per_time(template_ds: xr.Dataset) -> None:
    instant_job, accumulated_job = SmallGridHrrrAnalysisRegionJob.get_jobs(
        template_ds,
        "time",
        HRRR_ANALYSIS_DATA_VARS,
        source_url="http://127.0.0.1:9",
        filter_start=END - timedelta("1h"),
    )

    def sources(job: SmallGridHrrrAnalysisRegionJob) -> list[str]:
        processing = template_ds.isel(time=job.get_processing_region())
        return [c.relative_path() for c in job.generate_source_file_coords(processing, job.data_vars)]

    times = pd.date_range(END - timedelta("12h"), END, freq="1h", inclusive="left")
    assert sources(instant_job) == [f"hrrr.{t:%Y%m%d}/conus/hrrr.t{t:%H}z.wrfsfcf00.grib2" for t in times]
    # hourly windows: the padding step's predecessor is never needed
    earlier = times - timedelta("1h")
    assert sources(accumulated_job) == [f"hrrr.{t:%Y%m%d}/conus/hrrr.t{t:%H}z.wrfsfcf01.grib2" for t in earlier]
