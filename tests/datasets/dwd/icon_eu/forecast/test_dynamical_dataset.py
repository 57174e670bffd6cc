import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.timestamps import timedelta, timestamp
from datasets.dwd.icon_eu.forecast import dwd_icon_eu_forecast
from pipelines.demo.range_server import RangeServer
from pipelines.local import run_local
from steps.context import StepContext
from steps.run_request import RunRequest
from steps.validate import validate
from tests.support.dwd_archive import (
    SmallGridRegionJob,
    SmallGridTemplateConfig,
    expected_stored_values,
    relative_path,
    run_leads,
    write_file,
    write_test_archive,
)
from tests.support.runs import read_main

I0, I1, I2, I3, I4 = pd.date_range("2026-01-01T00:00", periods=5, freq="3h")
VARIABLES = ("temperature_2m", "precipitation_surface")


def small_dataset(template_dir: Path, server: RangeServer) -> DynamicalDataset[Any, Any]:
    """The registered dataset (operations, validation) on the test grid, with two variables, reading `server`."""

    class FromServer(SmallGridRegionJob):
        default_source_url: ClassVar[str] = server.base_url  # stands in for DWD's own server

    config = SmallGridTemplateConfig(template_dir=template_dir, variable_names=VARIABLES)
    config.update_template()
    return dwd_icon_eu_forecast().model_copy(
        update={"template_config": config, "region_job_class": FromServer, "source_base_url": server.base_url}
    )


def assert_values(ds: Any, init: pd.Timestamp, available: Callable[[pd.Timestamp, pd.Timedelta], bool]) -> None:
    index = pd.DatetimeIndex(ds["init_time"].values).get_loc(init)
    for var in SmallGridTemplateConfig(template_dir=Path(), variable_names=VARIABLES).data_vars:
        expected = expected_stored_values(var, init, available)
        np.testing.assert_array_equal(ds[var.name].values[index], expected, err_msg=f"{var.name} at {init}")


def requested(server: RangeServer, init: pd.Timestamp) -> bool:
    return any(
        server.requests_for(relative_path(param, init, lead))
        for param in ("t_2m", "tot_prec")
        for lead in run_leads(init)
    )


@pytest.mark.slow
def test_updates_survive_vanished_late_and_expired_files(
    tmp_path: Path, http_archive: Callable[[Path], RangeServer], caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "dwd"
    root.mkdir()
    server = http_archive(root)
    dataset = small_dataset(tmp_path / "template", server)
    data_vars = dataset.template_config.data_vars
    context = StepContext.create(dataset, str(tmp_path / "store.icechunk"))
    write_test_archive(root, [I0], data_vars)
    early = [lead for lead in run_leads(I1) if lead <= timedelta("20h")]
    for var in data_vars:
        for lead in early:
            write_file(root, var, I1, lead)
    run_local(context, RunRequest(operation="backfill", run_id="b1", append_dim_end=I2), show_progress=False)
    backfilled = read_main(context.store.url)
    assert list(backfilled["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [120, 20]

    # DWD replaces the 00 UTC run's files, the 03 UTC run's late files appear, and the 06 UTC run arrives.
    for path in root.rglob("*_2026010100_*"):
        path.unlink()
    for var in data_vars:
        for lead in run_leads(I1)[len(early) :]:
            write_file(root, var, I1, lead)
    write_test_archive(root, [I2], data_vars)
    server.requests.clear()

    summary = run_local(
        context, RunRequest(operation="update", run_id="u1"), now=I2 + timedelta("4h"), show_progress=False
    )

    ds = read_main(context.store.url)
    assert summary.published
    assert list(pd.DatetimeIndex(ds["init_time"].values)) == [I0, I1, I2]
    assert list(ds["ingested_forecast_length"].values / np.timedelta64(1, "h")) == [120, 30, 120]
    for init in (I0, I1, I2):
        assert_values(ds, init, lambda init, lead: True)
    assert not requested(server, I0)  # complete and not the latest: its vanished files are not needed
    not_found = {url for result in summary.variables.values() for url in result.not_found}
    assert not_found
    assert all("_2026010109_" in url for url in not_found)

    # No update for more than a day: the 09 UTC run is gone from DWD (here it is still there, and never asked for).
    write_test_archive(root, [I3, I4], data_vars)
    server.requests.clear()
    with caplog.at_level(logging.WARNING):
        summary = run_local(
            context, RunRequest(operation="update", run_id="u2"), now=I2 + timedelta("30h"), show_progress=False
        )

    ds = read_main(context.store.url)
    assert summary.published
    assert list(pd.DatetimeIndex(ds["init_time"].values)) == [I0, I1, I2, I3, I4]
    ingested = ds["ingested_forecast_length"].values / np.timedelta64(1, "h")
    np.testing.assert_array_equal(ingested, [120, 30, 120, np.nan, 120])
    for init in (I0, I1, I2, I4):
        assert_values(ds, init, lambda init, lead: True)
    assert_values(ds, I3, lambda init, lead: False)
    assert not requested(server, I3)
    assert not requested(server, I2)
    assert any("1 init times from 2026-01-01T09:00:00" in r.getMessage() for r in caplog.records)
    assert timestamp(summary.variables["temperature_2m"].last_append_dim_value) == I4
    report = validate(context, now=I4 + timedelta("4h35min"))
    assert {(r.check, r.variable, r.positions) for r in report.failures} == {
        (check, name, (I3.isoformat(),)) for check in ("CheckRecentNans", "CheckExpectedShards") for name in VARIABLES
    }
