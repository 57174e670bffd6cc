"""A synthetic mirror of the GFS archive for the noaa-gfs-forecast variables: same paths, `.idx` lines and GRIB2
encoding as NOAA's, with values that are exact functions of (variable, init, lead, latitude, longitude) shaped
like the Earth's: each variable takes its spatial structure from a real GFS field of the same (or a kindred)
quantity, and changes a little with lead time and init time."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from datasets.common.sources.earth_sample import EarthField
from datasets.common.sources.synthetic_archive import ArchiveGrid, GribVariable, write_gfs_archive
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, GfsDataVar

FULL_GRID = ArchiveGrid(resolution=0.25)

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
# (element, level) -> the real field that gives it its structure: the same quantity where the sample has it, else
# the nearest kin (80 m and 100 m from the lowest model level; percent frozen and cloud ceiling derived from snow and
# low cloud). Precipitation accumulates hourly: a sixth of the sample's 6-hour total.
EARTH_FIELDS: dict[tuple[str, str], EarthField] = {
    ("PRES", "surface"): EarthField(key="PRES:surface"),
    ("TMP", "2 m above ground"): EarthField(key="TMP:2 m above ground"),
    ("RH", "2 m above ground"): EarthField(key="RH:2 m above ground"),
    ("TMAX", "2 m above ground"): EarthField(key="TMAX:2 m above ground"),
    ("TMIN", "2 m above ground"): EarthField(key="TMIN:2 m above ground"),
    ("UGRD", "10 m above ground"): EarthField(key="UGRD:10 m above ground"),
    ("VGRD", "10 m above ground"): EarthField(key="VGRD:10 m above ground"),
    ("UGRD", "100 m above ground"): EarthField(key="UGRD:0.995 sigma level", scale=1.25),
    ("VGRD", "100 m above ground"): EarthField(key="VGRD:0.995 sigma level", scale=1.25),
    ("TMP", "80 m above ground"): EarthField(key="TMP:0.995 sigma level", add=-0.5),
    ("PRES", "80 m above ground"): EarthField(key="PRES:surface", add=-950.0),
    ("UGRD", "80 m above ground"): EarthField(key="UGRD:0.995 sigma level", scale=1.2),
    ("VGRD", "80 m above ground"): EarthField(key="VGRD:0.995 sigma level", scale=1.2),
    ("CPOFP", "surface"): EarthField(key="CSNOW:surface", scale=150.0, add=-50.0),
    ("APCP", "surface"): EarthField(key="APCP:surface", scale=1 / 6),
    ("CSNOW", "surface"): EarthField(key="CSNOW:surface"),
    ("CICEP", "surface"): EarthField(key="CICEP:surface"),
    ("CFRZR", "surface"): EarthField(key="CFRZR:surface"),
    ("CRAIN", "surface"): EarthField(key="CRAIN:surface"),
    ("PWAT", "entire atmosphere (considered as a single layer)"): EarthField(
        key="PWAT:entire atmosphere (considered as a single layer)"
    ),
    ("TCDC", "entire atmosphere"): EarthField(key="TCDC:entire atmosphere (considered as a single layer)"),
    ("HGT", "cloud ceiling"): EarthField(key="TCDC:low cloud layer", scale=-190.0, add=20_000.0),
    ("DSWRF", "surface"): EarthField(key="DSWRF:surface"),
    ("DLWRF", "surface"): EarthField(key="DLWRF:surface"),
    ("PRMSL", "mean sea level"): EarthField(key="PRMSL:mean sea level"),
}
EARTH_TREND = 1 / 8  # a real field drifts 1/32 per hour and 1/16 per init (in its unit), not 1/4 and 1/2
# A message no variable reads, so selection has to skip it (the real files hold hundreds).
UNREAD_FIELD = GribVariable(
    element="HGT", level="500 mb", discipline=0, category=3, number=5, surface_type=100, surface_value=50_000
)


def grib_variable(
    data_var: GfsDataVar,
    element: str | None = None,
    parameters: Mapping[str, tuple[int, int, int]] = PARAMETERS,
    ranges: Mapping[str, tuple[float, float]] = RANGES,
) -> GribVariable:
    """The generator of a NOAA variable's messages; `element` replaces its own (an alternative element)."""
    attrs = data_var.internal_attrs
    element = element or attrs.grib_element
    discipline, category, number = parameters[element]
    surface_type, surface_value = SURFACES[attrs.grib_index_level]
    offset, amplitude = ranges[data_var.attrs.units]
    earth = EARTH_FIELDS.get((element, attrs.grib_index_level))
    return GribVariable(
        element=element,
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
        earth=earth,
        trend=EARTH_TREND if earth is not None else 1.0,
    )


def write_synthetic_gfs_archive(
    root: Path,
    inits: Sequence[pd.Timestamp],
    leads: Sequence[pd.Timedelta],
    grid: ArchiveGrid = FULL_GRID,
    data_vars: Sequence[GfsDataVar] = GFS_DATA_VARS,
    workers: int = 1,
) -> list[Path]:
    variables = [UNREAD_FIELD, *(grib_variable(v) for v in data_vars)]
    return write_gfs_archive(root, inits, leads, variables, grid, workers=workers)
