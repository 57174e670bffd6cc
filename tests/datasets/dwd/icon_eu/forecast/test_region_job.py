import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from zarr.abc.store import Store

from datasets.common.results import VariableResult, merge_results
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.chain import DEACCUMULATION_INVALID
from datasets.dwd.icon_eu.forecast.template_config import ICON_EU_DATA_VARS
from pipelines.demo.range_server import RangeServer
from tests.support.dwd_archive import (
    SmallGridRegionJob,
    SmallGridTemplateConfig,
    expected_stored_values,
    relative_path,
    write_test_archive,
)
from tests.support.region_jobs import Availability, processed, readable_for, rendered_template, stored

LONG_RUN, SHORT_RUN = timestamp("2026-01-01T00:00"), timestamp("2026-01-01T03:00")
INITS = [LONG_RUN, SHORT_RUN]
BY_NAME = {v.name: v for v in ICON_EU_DATA_VARS}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("icon-eu-archive")
    write_test_archive(root, INITS)
    return root


@pytest.fixture
def template_ds(tmp_path: Path) -> xr.Dataset:
    return rendered_template(SmallGridTemplateConfig(template_dir=tmp_path / "template"), SHORT_RUN + timedelta("3h"))


def process_all(template_ds: xr.Dataset, store: Store, source_url: str) -> dict[str, VariableResult]:
    jobs = SmallGridRegionJob.get_jobs(template_ds, "init_time", ICON_EU_DATA_VARS, source_url=source_url)
    assert [(job.region, job.data_vars) for job in jobs] == [
        (slice(i, i + 1), (var,)) for i in range(len(INITS)) for var in ICON_EU_DATA_VARS
    ]
    return merge_results(job.process([store]) for job in jobs)


def assert_all_values_as_expected(store: Store, missing: Mapping[str, Availability] | None = None) -> None:
    """Every value of every variable; `missing` marks, per variable, the files it could not read."""
    ds = stored(store)
    for var in ICON_EU_DATA_VARS:
        available = readable_for(lambda init, lead: True, missing, var.name)
        for i, init in enumerate(INITS):
            expected = expected_stored_values(var, init, available)
            np.testing.assert_array_equal(ds[var.name].values[i], expected, err_msg=f"{var.name} at {init}")


def file_url(server: RangeServer, param: str, init: pd.Timestamp, hours: int) -> str:
    return f"{server.base_url}/{relative_path(param, init, timedelta(f'{hours}h'))}"


@pytest.mark.slow
def test_every_stored_value_of_every_variable_is_exact(
    archive: Path, template_ds: xr.Dataset, http_archive: Callable[[Path], RangeServer]
) -> None:
    server = http_archive(archive)
    store, results = processed(template_ds, server.base_url, process_all)

    assert_all_values_as_expected(store)
    for var in ICON_EU_DATA_VARS:
        result = results[var.name]
        from_lead_0 = var.internal_attrs.statistic is None
        assert result.succeeded == 92 + 30 + 2 * from_lead_0, var.name  # nothing asked beyond a run's length
        assert (result.not_found, result.read_failed) == ((), ()), var.name
    assert results["precipitation_surface"].counters == {DEACCUMULATION_INVALID: 0}
    rates = xr.open_zarr(store, consolidated=False)["precipitation_surface"].values
    assert (rates[np.isfinite(rates)] > 0).all()
    assert np.isfinite(rates[0, 1:]).all()
    assert np.isfinite(rates[1, 1:31]).all()
    assert np.isnan(rates[1, 31:]).all()
    assert not server.requests_for(relative_path("tot_prec", LONG_RUN, timedelta(0)))

    final = SmallGridRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [120, 30]


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.slow
def test_missing_truncated_and_wrong_files_leave_nan_and_are_reported(
    archive: Path, template_ds: xr.Dataset, tmp_path: Path, http_archive: Callable[[Path], RangeServer]
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(archive, damaged)

    def path(param: str, init: pd.Timestamp, hours: int) -> Path:
        return damaged / relative_path(param, init, timedelta(f"{hours}h"))

    path("t_2m", LONG_RUN, 5).unlink()
    truncate(path("tot_prec", LONG_RUN, 10))
    path("vmax_10m", LONG_RUN, 81).write_bytes(b"BZh9" + bytes(100))
    path("u_10m", SHORT_RUN, 0).write_bytes(b"")
    shutil.copy(path("v_10m", LONG_RUN, 7), path("u_10m", LONG_RUN, 7))  # another variable's message
    shutil.copy(path("td_2m", SHORT_RUN, 1), path("td_2m", LONG_RUN, 1))  # another run's message
    path("asob_s", SHORT_RUN, 30).unlink()
    for var in ICON_EU_DATA_VARS:  # the long run never reached 120 h
        path(var.internal_attrs.dwd_param, LONG_RUN, 120).unlink()
    server = http_archive(damaged)
    store, results = processed(template_ds, server.base_url, process_all)

    def at(init: pd.Timestamp, *hours: int) -> Availability:
        return lambda i, lead: i == init and lead / timedelta("1h") in hours

    def long_run_end(i: pd.Timestamp, lead: pd.Timedelta) -> bool:
        return i == LONG_RUN and lead == timedelta("120h")

    def either(*conditions: Availability) -> Availability:
        return lambda i, lead: any(condition(i, lead) for condition in conditions)

    unreadable = {
        "temperature_2m": at(LONG_RUN, 5),
        "precipitation_surface": at(LONG_RUN, 10),
        "wind_gust_10m": at(LONG_RUN, 81),
        "wind_u_10m": either(at(SHORT_RUN, 0), at(LONG_RUN, 7)),
        "dew_point_temperature_2m": at(LONG_RUN, 1),
        "net_short_wave_radiation_flux_surface": at(SHORT_RUN, 30),
    }
    assert_all_values_as_expected(
        store,
        {
            v.name: either(unreadable[v.name], long_run_end) if v.name in unreadable else long_run_end
            for v in ICON_EU_DATA_VARS
        },
    )
    reported = {
        name: (result.not_found, tuple(entry.split(": ", 1)[0] for entry in result.read_failed))
        for name, result in results.items()
    }
    for var in ICON_EU_DATA_VARS:
        assert file_url(server, var.internal_attrs.dwd_param, LONG_RUN, 120) in reported[var.name][0], var.name
    assert reported["temperature_2m"] == (
        (file_url(server, "t_2m", LONG_RUN, 5), file_url(server, "t_2m", LONG_RUN, 120)),
        (),
    )
    assert reported["precipitation_surface"][1] == (file_url(server, "tot_prec", LONG_RUN, 10),)
    assert reported["wind_gust_10m"][1] == (file_url(server, "vmax_10m", LONG_RUN, 81),)
    assert file_url(server, "u_10m", SHORT_RUN, 0) in reported["wind_u_10m"][0]
    assert reported["wind_u_10m"][1] == (file_url(server, "u_10m", LONG_RUN, 7),)
    assert reported["dew_point_temperature_2m"][1] == (file_url(server, "td_2m", LONG_RUN, 1),)
    failures = {entry for result in results.values() for entry in result.read_failed}
    assert any("truncated bzip2" in entry for entry in failures)
    assert any("parameter (0, 2, 3) != expected (0, 2, 2)" in entry for entry in failures)
    assert any("reference time 20260101 0300" in entry for entry in failures)

    final = SmallGridRegionJob.update_template_with_results(template_ds, results, "init_time")
    assert list(final["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [117, 30]
