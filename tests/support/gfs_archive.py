"""A synthetic GFS archive for the 25 noaa-gfs-forecast variables on a coarse global grid, and the values the
dataset must store for it (generating function + documented transforms), computed independently of the job."""

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.sources.grib import GridSpec
from datasets.common.sources.synthetic_archive import ArchiveGrid, expected_value
from datasets.common.timestamps import timedelta
from datasets.common.transforms.rounding import round_for_storage
from datasets.noaa.gfs.forecast.region_job import NoaaGfsForecastRegionJob
from datasets.noaa.gfs.forecast.synthetic_archive import grib_variable, write_synthetic_gfs_archive
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, GfsDataVar, NoaaGfsForecastTemplateConfig
from tests.support.region_jobs import Availability, TemplateInFolder, readable_for

TEST_GRID = ArchiveGrid(resolution=10.0)


def write_test_archive(root: Path, inits: Sequence[pd.Timestamp], leads: Sequence[pd.Timedelta]) -> list[Path]:
    return write_synthetic_gfs_archive(root, inits, leads, TEST_GRID)


class GfsTestGrid(TemplateInFolder):
    """Inherit first, before a TemplateConfig of the GFS grid, to put it on TEST_GRID (longitudes from -180)."""

    def latitudes(self) -> np.ndarray:
        return TEST_GRID.latitudes

    def longitudes(self) -> np.ndarray:
        return TEST_GRID.longitudes - 180


class SmallGridTemplateConfig(GfsTestGrid, NoaaGfsForecastTemplateConfig):
    """The real template on TEST_GRID, rendered to a folder of the test's choosing."""


class SmallGridRegionJob(NoaaGfsForecastRegionJob):
    grid: ClassVar[GridSpec] = TEST_GRID.grid_spec()


def hours(lead: pd.Timedelta) -> int:
    return int(lead / timedelta("1h"))


def expected_stored_values(
    data_var: GfsDataVar,
    init: pd.Timestamp,
    leads: Sequence[pd.Timedelta],
    available: Availability,
    grid: ArchiveGrid = TEST_GRID,
) -> np.ndarray:
    """(lead, latitude, longitude) as the dataset must store them, NaN where no value can exist."""
    attrs = data_var.internal_attrs
    variable = grib_variable(data_var)
    latitude, longitude = np.meshgrid(grid.latitudes, grid.longitudes, indexing="ij")
    out = np.full((len(leads), grid.nj, grid.ni), np.nan, dtype=np.float32)
    for i, lead in enumerate(leads):
        if not available(init, lead) or (lead == timedelta(0) and not attrs.has_hour_0_values):
            continue
        if attrs.deaccumulate_to_rate:
            if i == 0:
                continue
            previous = leads[i - 1]
            assert attrs.window_reset_hours is not None
            if hours(previous) % attrs.window_reset_hours and not available(init, previous):
                continue
            # whether or not a window restarts at `previous`, the step's amount is what fell after it
            amount = expected_value(variable, init, lead, latitude, longitude, window_start=previous)
            values = (amount / (lead - previous).total_seconds()).astype(np.float32)
        else:
            values = expected_value(variable, init, lead, latitude, longitude).astype(np.float32)
            if attrs.unit_conversion == "kelvin_to_celsius":
                values -= np.float32(273.15)
        out[i] = np.roll(values, grid.ni // 2, axis=1)
    return round_for_storage(out, attrs)


def assert_all_variables_as_expected(
    ds: xr.Dataset,
    inits: Sequence[pd.Timestamp],
    available: Availability,
    unreadable: Mapping[str, Availability] | None = None,
) -> None:
    """Compare every value of every variable; `unreadable` marks cells whose message alone is bad."""
    leads = list(pd.TimedeltaIndex(ds["lead_time"].values))
    for var in GFS_DATA_VARS:
        readable = readable_for(available, unreadable, var.name)
        for i, init in enumerate(inits):
            expected = expected_stored_values(var, init, leads, readable)
            np.testing.assert_array_equal(ds[var.name].values[i], expected, err_msg=f"{var.name} at {init}")


def corrupt_message(path: Path, index: int) -> None:
    """Overwrite the closing `7777` of message `index` (0-based, by its `.idx` line) with zeros."""
    lines = path.with_name(path.name + ".idx").read_text().splitlines()
    end = int(lines[index + 1].split(":")[1]) if index + 1 < len(lines) else path.stat().st_size
    data = bytearray(path.read_bytes())
    assert data[end - 4 : end] == b"7777"
    data[end - 4 : end] = b"\0\0\0\0"
    path.write_bytes(bytes(data))


def idx_line(path: Path, element: str, level: str) -> int:
    lines = path.with_name(path.name + ".idx").read_text().splitlines()
    return next(i for i, line in enumerate(lines) if f":{element}:{level}:" in line)


type FileKey = tuple[pd.Timestamp, pd.Timedelta]


def damaged_copy(
    archive: Path,
    folder: Path,
    relative_path: Callable[[pd.Timestamp, pd.Timedelta], str],
    no_index: FileKey,
    no_grib: FileKey,
    corrupt: FileKey,
    corrupt_field: tuple[str, str],
) -> Path:
    """A copy of a NOAA-layout archive in `folder`: one file without its `.idx`, one `.idx` without its GRIB, and one
    message (`corrupt_field`: element and level) with its closing `7777` zeroed."""
    damaged = folder / "damaged"
    shutil.copytree(archive, damaged)
    (damaged / (relative_path(*no_index) + ".idx")).unlink()
    (damaged / relative_path(*no_grib)).unlink()
    corrupt_path = damaged / relative_path(*corrupt)
    corrupt_message(corrupt_path, idx_line(corrupt_path, *corrupt_field))
    return damaged
