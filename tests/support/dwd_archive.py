"""A synthetic ICON-EU archive in DWD's exact layout (one bz2-compressed GRIB2 message per variable, init and
lead; centre edzw; rows south to north) on a tiny European grid, and the values the dataset must store for it,
computed from the generating function independently of the region job."""

import bz2
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from datasets.common.sources.grib import GridSpec
from datasets.common.sources.noaa_idx import WindowKind
from datasets.common.sources.synthetic_archive import GribVariable, encode_message, expected_value
from datasets.common.sources.synthetic_grids import RegionalGrid
from datasets.common.timestamps import timedelta
from datasets.common.transforms.rounding import round_for_storage
from datasets.dwd.dwd_variables import DwdDataVar, DwdStatistic
from datasets.dwd.icon_eu.forecast.region_job import DwdIconEuForecastRegionJob
from datasets.dwd.icon_eu.forecast.template_config import (
    ICON_EU_DATA_VARS,
    DwdIconEuForecastTemplateConfig,
    forecast_length,
    icon_eu_lead_times,
)
from tests.support.region_jobs import TemplateInFolder

DWD_CENTRE = 78  # edzw
TEST_GRID = RegionalGrid(resolution=4.0, south=29.5, north=69.5, west=-23.5, east=60.5)  # 11 x 22 points
KELVIN_AT_ZERO_CELSIUS = np.float32(273.15)

# level text -> (typeOfFirstFixedSurface, value in metres or None)
SURFACES: dict[str, tuple[int, float | None]] = {
    "2 m above ground": (103, 2),
    "10 m above ground": (103, 10),
    "mean sea level": (101, None),
    "surface": (1, None),
}
# (offset, amplitude) of the generating function per unit, so values look like the real quantity
RANGES: dict[str, tuple[float, float]] = {
    "degree_Celsius": (280.0, 25.0),  # generated in kelvin
    "percent": (50.0, 40.0),
    "m s-1": (3.0, 12.0),
    "Pa": (98_000.0, 3_000.0),
    "kg m-2 s-1": (1.0, 0.5),  # hourly amounts in kg m-2, always positive
    "W m-2": (150.0, 100.0),
}
WINDOW_KINDS: dict[DwdStatistic, WindowKind] = {
    "accumulation_since_init": "acc",
    "average_since_init": "ave",
    "maximum_since_previous_output": "max",
}


def run_leads(init: pd.Timestamp) -> list[pd.Timedelta]:
    """The output steps of the run at `init`: 0-120 h (hourly to 78 h, then 3-hourly) or 0-30 h hourly."""
    return _run_leads(init.hour % 6 == 0)


@cache
def _run_leads(long_run: bool) -> list[pd.Timedelta]:
    hours = [*range(79), *range(81, 121, 3)] if long_run else list(range(31))
    return list(pd.to_timedelta(hours, unit="h"))


def relative_path(param: str, init: pd.Timestamp, lead: pd.Timedelta) -> str:
    hours = int(lead / timedelta("1h"))
    name = f"icon-eu_europe_regular-lat-lon_single-level_{init:%Y%m%d%H}_{hours:03d}_{param.upper()}.grib2.bz2"
    return f"{init:%H}/{param}/{name}"


def grib_variable(data_var: DwdDataVar, init: pd.Timestamp) -> GribVariable:
    """The variable's generator; runs 3 h apart differ (the generic generator repeats values every 6 h)."""
    attrs = data_var.internal_attrs
    discipline, category, number = attrs.grib_parameter
    surface_type, surface_value = SURFACES[attrs.grib_level]
    offset, amplitude = RANGES[data_var.attrs.units]
    kind = WINDOW_KINDS[attrs.statistic] if attrs.statistic else None
    return GribVariable(
        element=attrs.dwd_param.upper(),
        level=attrs.grib_level,
        discipline=discipline,
        category=category,
        number=number,
        surface_type=surface_type,
        surface_value=surface_value,
        window_kind=kind,
        offset=offset + 0.25 * (init.hour % 6 // 3),
        amplitude=amplitude,
    )


def window_start(data_var: DwdDataVar, previous: pd.Timedelta | None) -> pd.Timedelta | None:
    match data_var.internal_attrs.statistic:
        case None:
            return None
        case "maximum_since_previous_output":
            return previous if previous is not None else timedelta(0)
        case _:
            return timedelta(0)


def source_value(data_var: DwdDataVar, init: pd.Timestamp, lead: pd.Timedelta) -> np.ndarray:
    """The exact value of the variable's message at (init, lead), rows north to south."""
    leads = run_leads(init)
    i = leads.index(lead)
    latitude, longitude = np.meshgrid(TEST_GRID.latitudes, TEST_GRID.longitudes, indexing="ij")
    start = window_start(data_var, leads[i - 1] if i else None)
    return expected_value(grib_variable(data_var, init), init, lead, latitude, longitude, window_start=start)


def write_file(root: Path, data_var: DwdDataVar, init: pd.Timestamp, lead: pd.Timedelta) -> Path:
    leads = run_leads(init)
    i = leads.index(lead)
    variable = grib_variable(data_var, init)
    message = encode_message(
        variable,
        init,
        lead,
        TEST_GRID,
        source_value(data_var, init, lead),
        window_start=window_start(data_var, leads[i - 1] if i else None),
        centre=DWD_CENTRE,
        packing="grid_simple",
    )
    path = root / relative_path(data_var.internal_attrs.dwd_param, init, lead)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bz2.compress(message))
    return path


def write_test_archive(
    root: Path, inits: Sequence[pd.Timestamp], data_vars: Sequence[DwdDataVar] = ICON_EU_DATA_VARS
) -> list[Path]:
    """Every file DWD publishes for these runs, lead 0 of statistical fields included."""
    return [write_file(root, var, init, lead) for init in inits for var in data_vars for lead in run_leads(init)]


class SmallGridTemplateConfig(TemplateInFolder, DwdIconEuForecastTemplateConfig):
    """The real template on TEST_GRID (optionally with fewer variables), rendered to a folder of the test's choosing."""

    variable_names: tuple[str, ...] | None = None

    @property
    def data_vars(self) -> Sequence[DwdDataVar]:
        return [v for v in ICON_EU_DATA_VARS if self.variable_names is None or v.name in self.variable_names]

    def latitudes(self) -> np.ndarray:
        return TEST_GRID.latitudes

    def longitudes(self) -> np.ndarray:
        return TEST_GRID.longitudes


class SmallGridRegionJob(DwdIconEuForecastRegionJob):
    grid: ClassVar[GridSpec] = TEST_GRID.grid_spec()


def expected_stored_values(
    data_var: DwdDataVar, init: pd.Timestamp, available: Callable[[pd.Timestamp, pd.Timedelta], bool]
) -> np.ndarray:
    """(lead, latitude, longitude) over the template's 93 leads as the dataset must store them, NaN where no
    value can exist: beyond the run's length, missing files, lead 0 of statistics, intervals missing an end."""
    attrs = data_var.internal_attrs
    template_leads = list(icon_eu_lead_times())
    length = forecast_length(pd.DatetimeIndex([init]))[0]
    out = np.full((len(template_leads), TEST_GRID.nj, TEST_GRID.ni), np.nan, dtype=np.float32)
    for i, lead in enumerate(template_leads):
        if lead > length or not available(init, lead):
            continue
        if attrs.statistic is None or attrs.statistic == "maximum_since_previous_output":
            if lead == timedelta(0) and attrs.statistic is not None:
                continue
            values = source_value(data_var, init, lead).astype(np.float32)
            if attrs.unit_conversion == "kelvin_to_celsius":
                values -= KELVIN_AT_ZERO_CELSIUS
            out[i] = values
            continue
        if i == 0:
            continue
        previous = template_leads[i - 1]
        if previous > timedelta(0) and not available(init, previous):
            continue
        end, start = lead.total_seconds(), previous.total_seconds()
        total = source_value(data_var, init, lead)
        total_before = source_value(data_var, init, previous) if start else np.zeros_like(total)
        if attrs.statistic == "accumulation_since_init":
            out[i] = (total - total_before) / (end - start)
        else:
            out[i] = (total * end - total_before * start) / (end - start)
    return round_for_storage(out, attrs)
