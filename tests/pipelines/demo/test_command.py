from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast.synthetic_archive import FULL_GRID
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS
from datasets.noaa.gfs.forecast_virtual import noaa_gfs_forecast_virtual
from pipelines.cli import app, run
from pipelines.demo.command import how_to_open, open_demo
from pipelines.demo.virtual import archive_folder, how_to_open_virtual, open_virtual_demo
from tests.support.gfs_archive import expected_stored_values
from tests.support.virtual_archive import assert_equals_source

INIT = timestamp("2021-05-01T00:00")


@pytest.mark.slow
@pytest.mark.usefixtures("source_cache")
def test_demo_publishes_the_generated_slice_and_draws_a_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "demo" / "noaa-gfs-forecast.icechunk"

    assert run(app, ["demo", "--store", str(store), "--inits", "1", "--hours", "1", "--workers", "1"]) == 0

    captured = capsys.readouterr()
    out = captured.out
    assert f"Icechunk repository: {store}" in out
    assert "not found" not in captured.err  # the run asks only for what the slice holds
    assert "2 lead times (0-1 h), 25 variables" in captured.err
    assert how_to_open(store) in out
    ds = open_demo(store)
    assert list(ds["init_time"].values) == [np.datetime64(INIT)]
    leads = [timedelta("0h"), timedelta("1h")]
    assert list(ds["lead_time"].values) == [np.timedelta64(lead) for lead in leads]
    for var in GFS_DATA_VARS:
        expected = expected_stored_values(var, INIT, leads, lambda init, lead: True, FULL_GRID)
        np.testing.assert_array_equal(ds[var.name].isel(init_time=0).values, expected, err_msg=var.name)
    assert ds["ingested_forecast_length"].values.tolist() == [pd.Timedelta("1h").value]
    png = tmp_path / "demo" / "noaa-gfs-forecast-temperature_2m.png"
    image = matplotlib.image.imread(png)
    assert image.shape[0] > 300
    assert image.shape[1] > 600
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 50, "a map, not a blank image"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--inits", "0"], "--inits must be between 1"), (["--hours", "49"], "--hours must be between 0")],
)
def test_demo_refuses_slices_out_of_range(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(app, ["demo", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.usefixtures("source_cache")
def test_virtual_demo_references_the_kept_slice_and_reads_every_variable_on_the_full_grid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "demo" / "gfs-virtual.icechunk"
    args = ["demo", "--virtual", "--store", str(store), "--inits", "1", "--hours", "1", "--workers", "1"]
    assert run(app, args) == 0

    assert how_to_open_virtual(store) in capsys.readouterr().out
    ds = open_virtual_demo(store)
    assert ds["temperature_2m"].encoding["serializer"].grid.ni == 1440
    leads = [timedelta("0h"), timedelta("1h")]
    assert_equals_source(ds, noaa_gfs_forecast_virtual(), archive_folder(store), [INIT], leads)
    assert (tmp_path / "demo" / "gfs-virtual-temperature_2m.png").is_file()
