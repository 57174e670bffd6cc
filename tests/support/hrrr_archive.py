"""noaa-hrrr-forecast-48-hour on a coarse Lambert grid, a synthetic archive in HRRR's layout, and the values the
dataset must store for it (generating function + documented transforms), computed independently of the job."""

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.sources.grib import GridSpec
from datasets.common.sources.synthetic_archive import GribVariable, expected_value, write_grib_file
from datasets.common.sources.synthetic_grids import LambertArchiveGrid
from datasets.common.timestamps import timedelta
from datasets.common.transforms.rounding import round_for_storage
from datasets.noaa.gfs.forecast.synthetic_archive import PARAMETERS, RANGES, UNREAD_FIELD
from datasets.noaa.gfs.forecast.synthetic_archive import grib_variable as noaa_grib_variable
from datasets.noaa.hrrr.forecast_48_hour.dynamical_dataset import noaa_hrrr_forecast_48_hour
from datasets.noaa.hrrr.forecast_48_hour.region_job import NoaaHrrrForecast48HourRegionJob
from datasets.noaa.hrrr.forecast_48_hour.template_config import (
    HRRR_DATA_VARS,
    HRRR_GRID,
    HrrrDataVar,
    NoaaHrrrForecast48HourTemplateConfig,
)
from tests.support.gfs_archive import hours
from tests.support.region_jobs import Availability, TemplateInFolder, small_grid_dataset, with_chunks

# HRRR's projection and corner with 300 km instead of 3 km between points.
SMALL_GRID = LambertConformalGrid(
    nx=12,
    ny=9,
    first_latitude=HRRR_GRID.first_latitude,
    first_longitude=HRRR_GRID.first_longitude,
    projection=HRRR_GRID.projection.model_copy(update={"dx": 300_000.0, "dy": 300_000.0}),
)
TEST_GRID = LambertArchiveGrid(grid=SMALL_GRID)
LEADS = [timedelta(f"{h}h") for h in range(49)]

HRRR_PARAMETERS: dict[str, tuple[int, int, int]] = {
    **PARAMETERS,
    "REFC": (0, 16, 196),
    "DPT": (0, 0, 6),
    "GUST": (0, 2, 22),
    "MSLMA": (0, 3, 198),
    "SNOD": (0, 1, 11),
    "SNOWC": (0, 1, 42),
    "WEASD": (0, 1, 13),
}
HRRR_RANGES = {**RANGES, "dBZ": (20.0, 30.0), "m": (0.5, 0.5)}  # reflectivity; snow depth


def hrrr_relative_path(init: pd.Timestamp, lead: pd.Timedelta) -> str:
    return f"hrrr.{init:%Y%m%d}/conus/hrrr.t{init:%H}z.wrfsfcf{hours(lead):02d}.grib2"


def grib_variable(data_var: HrrrDataVar, element: str | None = None) -> GribVariable:
    ranges = RANGES if data_var.name == "geopotential_height_cloud_ceiling" else HRRR_RANGES
    return noaa_grib_variable(data_var, element, HRRR_PARAMETERS, ranges)


def source_variable(data_var: HrrrDataVar, init: pd.Timestamp, prmsl_inits: Sequence[pd.Timestamp]) -> GribVariable:
    """Older files carry PRMSL where newer ones carry MSLMA."""
    if init in prmsl_inits and data_var.internal_attrs.alternative_grib_elements:
        return grib_variable(data_var, data_var.internal_attrs.alternative_grib_elements[0])
    return grib_variable(data_var)


def write_hrrr_archive(
    root: Path,
    inits: Sequence[pd.Timestamp],
    leads: Sequence[pd.Timedelta] = LEADS,
    prmsl_inits: Sequence[pd.Timestamp] = (),
    grid: LambertArchiveGrid = TEST_GRID,
) -> list[Path]:
    return [
        write_grib_file(
            root / hrrr_relative_path(init, lead),
            init,
            lead,
            [UNREAD_FIELD, *(source_variable(v, init, prmsl_inits) for v in HRRR_DATA_VARS)],
            grid,
        )
        for init in inits
        for lead in leads
    ]


class SmallGridHrrrTemplateConfig(TemplateInFolder, NoaaHrrrForecast48HourTemplateConfig):
    """The real template on SMALL_GRID with chunks to match, rendered to a folder of the test's choosing."""

    grid: LambertConformalGrid = SMALL_GRID

    @property
    def data_vars(self) -> Sequence[HrrrDataVar]:
        return with_chunks(super().data_vars, (1, 49, 5, 6), (1, 49, 10, 12))


class SmallGridHrrrRegionJob(NoaaHrrrForecast48HourRegionJob):
    grid: ClassVar[GridSpec] = SMALL_GRID.grid_spec()


def small_grid_hrrr_dataset(template_dir: Path, source_url: str) -> DynamicalDataset:
    config = SmallGridHrrrTemplateConfig(template_dir=template_dir)
    return small_grid_dataset(noaa_hrrr_forecast_48_hour(), config, SmallGridHrrrRegionJob, source_url)


def expected_stored_values(
    data_var: HrrrDataVar,
    init: pd.Timestamp,
    available: Availability,
    prmsl_inits: Sequence[pd.Timestamp] = (),
) -> np.ndarray:
    """(lead, y, x) as the dataset must store them (rows north to south), NaN where no value can exist."""
    attrs = data_var.internal_attrs
    variable = source_variable(data_var, init, prmsl_inits)
    latitude, longitude = TEST_GRID.mesh()
    out = np.full((len(LEADS), TEST_GRID.nj, TEST_GRID.ni), np.nan, dtype=np.float32)
    for i, lead in enumerate(LEADS):
        if not available(init, lead) or (lead == timedelta(0) and not attrs.has_hour_0_values):
            continue
        values = expected_value(variable, init, lead, latitude, longitude)
        if attrs.deaccumulate_to_rate:
            values = values / 3600  # the window is the hour before the lead time
        values = values.astype(np.float32)
        if attrs.unit_conversion == "kelvin_to_celsius":
            values -= np.float32(273.15)
        out[i] = values
    return round_for_storage(out, attrs)
