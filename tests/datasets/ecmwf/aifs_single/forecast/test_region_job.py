from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.results import VariableResult, merge_results
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.chain import DEACCUMULATION_INVALID
from datasets.ecmwf.aifs_single.forecast.region_job import AifsSingleSourceFileCoord, EcmwfAifsSingleForecastRegionJob
from datasets.ecmwf.aifs_single.forecast.template_config import EcmwfAifsSingleForecastTemplateConfig
from datasets.ecmwf.ecmwf_region_job import S3_BASE_URL, IndexKey
from pipelines.demo.range_server import RangeServer
from tests.support.aifs_single_archive import (
    SmallGridAifsSingleRegionJob,
    SmallGridAifsSingleTemplateConfig,
    aifs_relative_stem,
    expected_aifs_values,
    write_aifs_single_archive,
)
from tests.support.ecmwf_archive import damaged_ecmwf_copy
from tests.support.region_jobs import Availability, processed, readable_for, rendered_template, stored

# One init under aifs/ (total precipitation in metres, no 100 m wind, radiation or cloud cover), four under
# aifs-single/0p25/experimental/ and one under aifs-single/0p25/ once AIFS Single v1 went operational.
INITS = list(pd.date_range("2025-02-24T00:00", "2025-02-25T06:00", freq="6h"))
LEAD_HOURS = (0, 6, 12, 360)
LEADS = [timedelta(f"{h}h") for h in LEAD_HOURS]
ADDED = {
    "wind_u_100m",
    "wind_v_100m",
    "downward_short_wave_radiation_flux_surface",
    "downward_long_wave_radiation_flux_surface",
    "total_cloud_cover_atmosphere",
}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> SmallGridAifsSingleTemplateConfig:
    return SmallGridAifsSingleTemplateConfig(
        template_dir=tmp_path_factory.mktemp("aifs-template"), lead_hours=LEAD_HOURS, append_dim_start=INITS[0]
    )


@pytest.fixture(scope="module")
def template_ds(config: SmallGridAifsSingleTemplateConfig) -> xr.Dataset:
    return rendered_template(config, INITS[-1] + timedelta("6h"))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, config: SmallGridAifsSingleTemplateConfig) -> Path:
    root = tmp_path_factory.mktemp("aifs-archive")
    write_aifs_single_archive(root, config.data_vars, INITS, LEADS)
    return root


def process_all(template_ds: xr.Dataset, store: Store, source_url: str) -> dict[str, VariableResult]:
    data_vars = EcmwfAifsSingleForecastTemplateConfig().data_vars
    jobs = SmallGridAifsSingleRegionJob.get_jobs(template_ds, "init_time", data_vars, source_url=source_url)
    return merge_results(job.process([store]) for job in jobs)


def assert_all_as_expected(
    ds: xr.Dataset, available: Availability, unreadable: dict[str, Availability] | None = None
) -> None:
    assert list(pd.DatetimeIndex(ds["init_time"].values)) == INITS
    for var in EcmwfAifsSingleForecastTemplateConfig().data_vars:
        for i, init in enumerate(INITS):
            expected = expected_aifs_values(var, init, LEADS, readable_for(available, unreadable, var.name))
            np.testing.assert_array_equal(ds[var.name].values[i], expected, err_msg=f"{var.name} {init}")


@pytest.mark.slow
def test_every_value_of_every_variable_is_exact_across_the_path_and_unit_switches(
    archive: Path, template_ds: xr.Dataset, http_archive: Callable[[Path], RangeServer]
) -> None:
    server = http_archive(archive)
    store, results = processed(template_ds, server.base_url, process_all)

    ds = stored(store)
    assert_all_as_expected(ds, lambda init, lead: True)
    for name in ADDED:
        assert np.isnan(ds[name].values[0]).all(), name
        assert np.isfinite(ds[name].values[1:, 1:]).all(), name  # radiation has no value at lead 0
    heights = ds["geopotential_height_500hpa"].values  # generated as geopotential of heights 1000 to 2000 m
    assert heights.min() > 900
    assert heights.max() < 2100
    precipitation = ds["precipitation_surface"].values
    assert np.isnan(precipitation[:, 0]).all()  # no value at lead 0
    assert np.isfinite(precipitation[:, 1:]).all()  # the aifs/ init's metres are scaled, not NaN
    for name, result in results.items():
        assert (result.not_found, result.read_failed) == ((), ()), name
        assert result.counters.get(DEACCUMULATION_INVALID, 0) == 0, name
    grib_paths = {r.path for r in server.requests if r.path.endswith(".grib2")}
    assert grib_paths == {aifs_relative_stem(init, lead) + ".grib2" for init in INITS for lead in LEADS}
    assert {"/".join(path.split("/")[2:-1]) for path in grib_paths} == {
        "aifs/0p25/oper",
        "aifs-single/0p25/experimental/oper",
        "aifs-single/0p25/oper",
    }


@pytest.mark.slow
def test_a_missing_file_and_a_corrupt_message_stay_nan_and_are_listed(
    archive: Path, template_ds: xr.Dataset, tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    missing = (INITS[2], timedelta("6h"))
    corrupt = (INITS[5], timedelta("12h"))
    damaged = damaged_ecmwf_copy(
        archive, tmp_path, aifs_relative_stem(*missing), aifs_relative_stem(*corrupt), "2t", member=0
    )
    server = http_archive(damaged)
    store, results = processed(template_ds, server.base_url, process_all)

    ds = stored(store)
    assert_all_as_expected(
        ds, lambda init, lead: (init, lead) != missing, {"temperature_2m": lambda init, lead: (init, lead) == corrupt}
    )
    assert np.isnan(ds["temperature_2m"].values[2, 1]).all()
    assert np.isnan(ds["precipitation_surface"].values[2, 1:3]).all()  # 6 h is missing: so is the 6-12 h rate
    assert np.isnan(ds["temperature_2m"].values[5, 2]).all()
    assert np.isfinite(ds["dew_point_temperature_2m"].values[5, 2]).all()  # the same file's other messages
    for name, result in results.items():
        assert result.not_found == (f"{server.base_url}/{aifs_relative_stem(*missing)}.grib2",), name
        failed = [entry for entry in result.read_failed if aifs_relative_stem(*corrupt) in entry]
        assert (len(failed), len(result.read_failed)) == ((1, 1) if name == "temperature_2m" else (0, 0)), name


@pytest.mark.parametrize(
    ("init", "model_path"),
    [
        ("2024-04-01T00:00", "aifs/0p25/oper"),
        ("2025-02-24T00:00", "aifs/0p25/oper"),
        ("2025-02-24T06:00", "aifs-single/0p25/experimental/oper"),
        ("2025-02-25T00:00", "aifs-single/0p25/experimental/oper"),
        ("2025-02-25T06:00", "aifs-single/0p25/oper"),
        ("2026-11-30T18:00", "aifs-single/0p25/oper"),
    ],
)
def test_file_urls_follow_each_period_of_the_archive_layout(init: str, model_path: str) -> None:
    init_time = timestamp(init)
    coord = AifsSingleSourceFileCoord(
        base_url=S3_BASE_URL,
        init_time=init_time,
        lead_time=timedelta("360h"),
        fields=(IndexKey(param="z", levtype="pl", levelist="500"),),
    )
    stem = f"{S3_BASE_URL}/{init_time:%Y%m%d/%H}z/{model_path}/{init_time:%Y%m%d%H}0000-360h-oper-fc"
    assert coord.get_url() == stem + ".grib2"
    assert coord.index_url() == stem + ".index"
    assert coord.out_loc() == {"init_time": init_time, "lead_time": timedelta("360h")}


def test_source_groups_share_availability_and_hold_at_most_four_variables() -> None:
    data_vars = EcmwfAifsSingleForecastTemplateConfig().data_vars
    groups = EcmwfAifsSingleForecastRegionJob.source_groups(data_vars)
    assert sorted(v.name for group in groups for v in group) == sorted(v.name for v in data_vars)
    for group in groups:
        assert 1 <= len(group) <= 4
        assert len({(v.internal_attrs.available_from, v.internal_attrs.has_hour_0_values) for v in group}) == 1
    added = {v.name for v in data_vars if v.internal_attrs.available_from is not None}
    assert added == ADDED
