"""A synthetic GFS archive for the 25 noaa-gfs-forecast variables on a coarse global grid, and the values the
dataset must store for it (generating function + documented transforms), computed independently of the job."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from datasets.common.sources.grib import GridSpec
from datasets.common.timestamps import timedelta
from datasets.common.transforms.rounding import round_for_storage
from datasets.noaa.gfs.forecast.region_job import NoaaGfsForecastRegionJob
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, GfsDataVar, NoaaGfsForecastTemplateConfig
from tests.support.grib_archive import ArchiveGrid, GribVariable, expected_value, write_gfs_archive

TEST_GRID = ArchiveGrid(resolution=10.0)

# element -> (discipline, parameterCategory, parameterNumber) as NCEP encodes them
PARAMETERS: dict[str, tuple[int, int, int]] = {
    "PRES": (0, 3, 0), "TMP": (0, 0, 0), "RH": (0, 1, 1), "TMAX": (0, 0, 4), "TMIN": (0, 0, 5),
    "UGRD": (0, 2, 2), "VGRD": (0, 2, 3), "CPOFP": (0, 1, 39), "APCP": (0, 1, 8), "CSNOW": (0, 1, 195),
    "CICEP": (0, 1, 194), "CFRZR": (0, 1, 193), "CRAIN": (0, 1, 192), "PWAT": (0, 1, 3), "TCDC": (0, 6, 1),
    "HGT": (0, 3, 5), "DSWRF": (0, 4, 7), "DLWRF": (0, 5, 3), "PRMSL": (0, 3, 1),
}  # fmt: skip
# idx level text -> (typeOfFirstFixedSurface, value in metres or None)
SURFACES: dict[str, tuple[int, float | None]] = {
    "surface": (1, None),
    "2 m above ground": (103, 2),
    "10 m above ground": (103, 10),
    "80 m above ground": (103, 80),
    "100 m above ground": (103, 100),
    "entire atmosphere (considered as a single layer)": (200, None),
    "entire atmosphere": (10, None),
    "cloud ceiling": (215, None),
    "mean sea level": (101, None),
}
# (offset, amplitude) of the generating function per source unit, so values look like the real quantity
RANGES: dict[str, tuple[float, float]] = {
    "Pa": (98_000.0, 3_000.0),
    "degree_Celsius": (280.0, 25.0),  # generated in kelvin
    "percent": (40.0, 60.0),  # CPOFP goes negative, as in the source
    "m s-1": (0.0, 15.0),
    "kg m-2 s-1": (1.0, 0.5),  # hourly accumulation in kg m-2, always positive
    "1": (0.5, 0.5),
    "kg m-2": (25.0, 20.0),
    "m": (8_000.0, 7_000.0),
    "W m-2": (300.0, 200.0),
}
# A message no variable reads, so selection has to skip it.
UNREAD_FIELD = GribVariable(
    element="HGT", level="500 mb", discipline=0, category=3, number=5, surface_type=100, surface_value=50_000
)


def grib_variable(data_var: GfsDataVar) -> GribVariable:
    attrs = data_var.internal_attrs
    discipline, category, number = PARAMETERS[attrs.grib_element]
    surface_type, surface_value = SURFACES[attrs.grib_index_level]
    offset, amplitude = RANGES[data_var.attrs.units]
    return GribVariable(
        element=attrs.grib_element,
        level=attrs.grib_index_level,
        discipline=discipline,
        category=category,
        number=number,
        surface_type=surface_type,
        surface_value=surface_value,
        window_kind=attrs.window_kind,
        window_reset_hours=attrs.window_reset_hours,
        running_total=attrs.deaccumulate_to_rate,
        offset=offset,
        amplitude=amplitude,
    )


def write_test_archive(root: Path, inits: Sequence[pd.Timestamp], leads: Sequence[pd.Timedelta]) -> list[Path]:
    variables = [UNREAD_FIELD, *(grib_variable(v) for v in GFS_DATA_VARS)]
    return write_gfs_archive(root, inits, leads, variables, TEST_GRID)


class SmallGridTemplateConfig(NoaaGfsForecastTemplateConfig):
    """The real template on TEST_GRID, rendered to a folder of the test's choosing."""

    template_dir: Path

    def template_path(self) -> Path:
        return self.template_dir / "latest.zarr"

    def latitudes(self) -> np.ndarray:
        return TEST_GRID.latitudes

    def longitudes(self) -> np.ndarray:
        return TEST_GRID.longitudes - 180


class SmallGridRegionJob(NoaaGfsForecastRegionJob):
    grid: ClassVar[GridSpec] = TEST_GRID.grid_spec()


def hours(lead: pd.Timedelta) -> int:
    return int(lead / timedelta("1h"))


def expected_stored_values(
    data_var: GfsDataVar,
    init: pd.Timestamp,
    leads: Sequence[pd.Timedelta],
    available: Callable[[pd.Timestamp, pd.Timedelta], bool],
) -> np.ndarray:
    """(lead, latitude, longitude) as the dataset must store them, NaN where no value can exist."""
    attrs = data_var.internal_attrs
    variable = grib_variable(data_var)
    latitude, longitude = np.meshgrid(TEST_GRID.latitudes, TEST_GRID.longitudes, indexing="ij")
    out = np.full((len(leads), TEST_GRID.nj, TEST_GRID.ni), np.nan, dtype=np.float32)
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
        out[i] = np.roll(values, TEST_GRID.ni // 2, axis=1)
    return round_for_storage(out, attrs)
