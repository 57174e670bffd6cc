"""Write GRIB2 archives with eccodes in NOAA's layout, with `.idx` inventories holding the true offsets.

Values are exact functions of (variable, init, lead, latitude, longitude, member): every value is a multiple
of 2**-fraction_bits and the packing is lossless for such values, so decoding returns them exactly.
"""

import zlib
from collections.abc import Sequence
from pathlib import Path

import eccodes
import numpy as np
import pandas as pd

from datasets.common.config_models import FrozenBaseModel
from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.sources.grib import GridSpec
from datasets.common.sources.noaa_idx import WindowKind, forecast_text, gfs_window_start, window_forecast_text
from datasets.common.timestamps import timedelta, timestamp

STATISTIC_CODES = {"ave": 0, "acc": 1, "max": 2, "min": 3}
NCEP_CENTRE = 7
REFERENCE_TIME = timestamp("2000-01-01T00:00")


class GribVariable(FrozenBaseModel):
    """One field of the archive: how it is named in the `.idx` and how it is encoded in GRIB2."""

    element: str
    level: str
    discipline: int
    category: int
    number: int
    surface_type: int
    surface_value: float | None = None  # GRIB units: m, Pa, ...
    second_surface_type: int = 255
    second_surface_value: float | None = None
    window_kind: WindowKind | None = None  # None: instant (template 4.0 / 4.1)
    window_reset_hours: int | None = None
    running_total: bool = False  # also write the 0-to-lead window (APCP)
    at_lead_0: bool | None = None  # default: instant fields only
    offset: float = 0.0
    amplitude: float = 10.0
    fraction_bits: int = 6

    @property
    def present_at_lead_0(self) -> bool:
        return self.at_lead_0 if self.at_lead_0 is not None else self.window_kind is None

    def windows(self, lead: pd.Timedelta) -> list[pd.Timedelta | None]:
        """Window starts of the messages this variable has at `lead` (None: an instant message)."""
        if lead == timedelta(0):
            return ([None] if self.window_kind is None else [timedelta(0)]) if self.present_at_lead_0 else []
        if self.window_kind is None:
            return [None]
        assert self.window_reset_hours is not None, f"{self.element}: a window needs window_reset_hours"
        starts: list[pd.Timedelta | None] = [gfs_window_start(lead, self.window_reset_hours)]
        return [*starts, timedelta(0)] if self.running_total else starts


class ArchiveGrid(FrozenBaseModel):
    """A global regular lat/lon grid as NCEP writes it: 90 to -90, 0 to 360 - resolution."""

    resolution: float

    @property
    def ni(self) -> int:
        return round(360 / self.resolution)

    @property
    def nj(self) -> int:
        return round(180 / self.resolution) + 1

    @property
    def latitudes(self) -> np.ndarray:
        return 90 - np.arange(self.nj) * self.resolution

    @property
    def longitudes(self) -> np.ndarray:
        return np.arange(self.ni) * self.resolution

    def grid_spec(self) -> GridSpec:
        return GridSpec(
            grid_type="regular_ll",
            ni=self.ni,
            nj=self.nj,
            first_latitude=90.0,
            first_longitude=0.0,
            last_latitude=-90.0,
            last_longitude=360.0 - self.resolution,
        )

    @property
    def j_scans_positively(self) -> bool:
        return False

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of every point, rows north to south."""
        latitude, longitude = np.meshgrid(self.latitudes, self.longitudes, indexing="ij")
        return latitude, longitude

    def set_grid_keys(self, handle: object) -> None:
        _set_regular_ll_keys(handle, self)


class RegionalGrid(FrozenBaseModel):
    """A regular lat/lon grid over a region, written south to north (as DWD does). Longitudes run west to east
    and may start west of 0; GRIB encodes them on the 0-360 circle."""

    resolution: float
    south: float
    north: float
    west: float
    east: float

    @property
    def ni(self) -> int:
        return round((self.east - self.west) / self.resolution) + 1

    @property
    def nj(self) -> int:
        return round((self.north - self.south) / self.resolution) + 1

    @property
    def latitudes(self) -> np.ndarray:
        """North to south, the order decoded values come in."""
        return self.north - np.arange(self.nj) * self.resolution

    @property
    def longitudes(self) -> np.ndarray:
        return self.west + np.arange(self.ni) * self.resolution

    def grid_spec(self) -> GridSpec:
        return GridSpec(
            grid_type="regular_ll",
            ni=self.ni,
            nj=self.nj,
            first_latitude=self.south,
            first_longitude=self.west % 360,
            last_latitude=self.north,
            last_longitude=self.east % 360,
        )

    @property
    def j_scans_positively(self) -> bool:
        return True

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of every point, rows north to south."""
        latitude, longitude = np.meshgrid(self.latitudes, self.longitudes, indexing="ij")
        return latitude, longitude

    def set_grid_keys(self, handle: object) -> None:
        _set_regular_ll_keys(handle, self)


class LambertArchiveGrid(FrozenBaseModel):
    """A Lambert conformal grid as NCEP writes it (template 3.30): rows scanned south to north, u/v grid-relative."""

    grid: LambertConformalGrid

    @property
    def ni(self) -> int:
        return self.grid.nx

    @property
    def nj(self) -> int:
        return self.grid.ny

    def grid_spec(self) -> GridSpec:
        return self.grid.grid_spec()

    @property
    def j_scans_positively(self) -> bool:
        return True

    def set_grid_keys(self, handle: object) -> None:
        eccodes.codes_set_long(handle, "gridDefinitionTemplateNumber", 30)
        for key, value in (
            ("Nx", self.ni),
            ("Ny", self.nj),
            ("iScansNegatively", 0),
            ("jScansPositively", int(self.j_scans_positively)),
            ("jPointsAreConsecutive", 0),
            ("projectionCentreFlag", 0),
            ("resolutionAndComponentFlags", 56),
        ):
            eccodes.codes_set_long(handle, key, value)
        p = self.grid.projection
        for key, value in (
            ("latitudeOfFirstGridPointInDegrees", self.grid.first_latitude),
            ("longitudeOfFirstGridPointInDegrees", self.grid.first_longitude),
            ("LaDInDegrees", p.lad),
            ("LoVInDegrees", p.lov),
            ("Latin1InDegrees", p.latin1),
            ("Latin2InDegrees", p.latin2),
            ("DxInMetres", p.dx),
            ("DyInMetres", p.dy),
        ):
            eccodes.codes_set_double(handle, key, value)

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """eccodes' own latitude and longitude of every point, rows north to south."""
        handle = eccodes.codes_grib_new_from_samples("GRIB2")
        try:
            eccodes.codes_set_long(handle, "shapeOfTheEarth", 6)
            self.set_grid_keys(handle)
            eccodes.codes_set_values(handle, np.zeros(self.ni * self.nj))
            shape = (self.nj, self.ni)
            latitude = eccodes.codes_get_array(handle, "latitudes").reshape(shape)[::-1]
            return latitude, eccodes.codes_get_array(handle, "longitudes").reshape(shape)[::-1]
        finally:
            eccodes.codes_release(handle)


type Grid = ArchiveGrid | RegionalGrid | LambertArchiveGrid


def _set_regular_ll_keys(handle: object, grid: ArchiveGrid | RegionalGrid) -> None:
    for key, value in (
        ("Ni", grid.ni),
        ("Nj", grid.nj),
        ("iScansNegatively", 0),
        ("jScansPositively", int(grid.j_scans_positively)),
    ):
        eccodes.codes_set_long(handle, key, value)
    spec = grid.grid_spec()
    for key, value in (
        ("latitudeOfFirstGridPointInDegrees", spec.first_latitude),
        ("longitudeOfFirstGridPointInDegrees", spec.first_longitude),
        ("latitudeOfLastGridPointInDegrees", spec.last_latitude),
        ("longitudeOfLastGridPointInDegrees", spec.last_longitude),
        ("iDirectionIncrementInDegrees", grid.resolution),
        ("jDirectionIncrementInDegrees", grid.resolution),
    ):
        eccodes.codes_set_double(handle, key, value)


def _quantize(values: np.ndarray, fraction_bits: int) -> np.ndarray:
    scale = 2.0**fraction_bits
    return np.round(values * scale) / scale


def hourly_value(
    variable: GribVariable,
    init: pd.Timestamp,
    hour: int,
    latitude: np.ndarray,
    longitude: np.ndarray,
    member: int | None = None,
) -> np.ndarray:
    """The per-hour quantity behind every message (instant value, or the hour's share of a window)."""
    phase = zlib.crc32(f"{variable.element}:{variable.level}".encode()) % 360
    init_index = int((init - REFERENCE_TIME) / timedelta("6h")) % 32
    pattern = np.cos(np.radians(latitude)) * np.sin(np.radians(longitude + phase))
    trend = 0.25 * hour + 0.5 * init_index + 0.125 * (member or 0)
    values = variable.offset + variable.amplitude * pattern + trend + 0.001 * latitude
    return _quantize(values, variable.fraction_bits)


def expected_value(
    variable: GribVariable,
    init: pd.Timestamp,
    lead: pd.Timedelta,
    latitude: np.ndarray | float,
    longitude: np.ndarray | float,
    *,
    member: int | None = None,
    window_start: pd.Timedelta | None = None,
) -> np.ndarray:
    """The exact value of a message. Windowed variables default to the window that resets (not the total)."""
    lat, lon = np.broadcast_arrays(np.asarray(latitude, dtype=np.float64), np.asarray(longitude, dtype=np.float64))
    hours = int(lead / timedelta("1h"))
    if variable.window_kind is None:
        return hourly_value(variable, init, hours, lat, lon, member)
    if window_start is None:
        assert variable.window_reset_hours is not None, f"{variable.element}: a window needs window_reset_hours"
        window_start = gfs_window_start(lead, variable.window_reset_hours)
    start = int(window_start / timedelta("1h"))
    if hours == start:
        steps = [hourly_value(variable, init, hours, lat, lon, member)]
        return np.zeros_like(steps[0]) if variable.window_kind == "acc" else steps[0]
    steps = [hourly_value(variable, init, h, lat, lon, member) for h in range(start + 1, hours + 1)]
    match variable.window_kind:
        case "acc":
            return np.sum(steps, axis=0)
        case "ave":
            return _quantize(np.mean(steps, axis=0), variable.fraction_bits)
        case "max":
            return np.max(steps, axis=0)
        case "min":
            return np.min(steps, axis=0)


def _surface_scaled(value: float) -> tuple[int, int]:
    for factor in range(10):
        scaled = value * 10**factor
        if abs(scaled - round(scaled)) < 1e-9:
            return factor, round(scaled)
    raise ValueError(f"cannot encode fixed surface value {value}")


def _set_surface(handle: object, which: str, surface_type: int, value: float | None) -> None:
    eccodes.codes_set_long(handle, f"typeOf{which}FixedSurface", surface_type)
    if value is None:
        eccodes.codes_set_missing(handle, f"scaleFactorOf{which}FixedSurface")
        eccodes.codes_set_missing(handle, f"scaledValueOf{which}FixedSurface")
    else:
        factor, scaled = _surface_scaled(value)
        eccodes.codes_set_long(handle, f"scaleFactorOf{which}FixedSurface", factor)
        eccodes.codes_set_long(handle, f"scaledValueOf{which}FixedSurface", scaled)


def encode_message(
    variable: GribVariable,
    init: pd.Timestamp,
    lead: pd.Timedelta,
    grid: Grid,
    values: np.ndarray,
    *,
    window_start: pd.Timedelta | None = None,
    member: int | None = None,
    ensemble_size: int = 31,
    centre: int = NCEP_CENTRE,
    packing: str = "grid_complex_spatial_differencing",
) -> bytes:
    """One GRIB2 message on the grid's template; `values` (nj, ni) run north to south, whatever the scanning."""
    handle = eccodes.codes_grib_new_from_samples("GRIB2")
    try:
        for key, value in (
            ("centre", centre),
            ("subCentre", 0),
            ("tablesVersion", 2),
            ("localTablesVersion", 1),
            ("significanceOfReferenceTime", 1),
            ("productionStatusOfProcessedData", 0),
            ("typeOfProcessedData", 1),
            ("dataDate", int(init.strftime("%Y%m%d"))),
            ("dataTime", int(init.strftime("%H%M"))),
            ("shapeOfTheEarth", 6),
        ):
            eccodes.codes_set_long(handle, key, value)
        grid.set_grid_keys(handle)
        windowed = window_start is not None
        template = (8 if windowed else 0) if member is None else (11 if windowed else 1)
        eccodes.codes_set_long(handle, "productDefinitionTemplateNumber", template)
        eccodes.codes_set_long(handle, "discipline", variable.discipline)
        eccodes.codes_set_long(handle, "parameterCategory", variable.category)
        eccodes.codes_set_long(handle, "parameterNumber", variable.number)
        eccodes.codes_set_long(handle, "typeOfGeneratingProcess", 4 if member is not None else 2)
        _set_surface(handle, "First", variable.surface_type, variable.surface_value)
        _set_surface(handle, "Second", variable.second_surface_type, variable.second_surface_value)
        if member is not None:
            eccodes.codes_set_long(handle, "typeOfEnsembleForecast", 1 if member == 0 else 3)
            eccodes.codes_set_long(handle, "perturbationNumber", member)
            eccodes.codes_set_long(handle, "numberOfForecastsInEnsemble", ensemble_size)
        eccodes.codes_set_long(handle, "indicatorOfUnitOfTimeRange", 1)
        hours = int(lead / timedelta("1h"))
        if window_start is None:
            eccodes.codes_set_long(handle, "forecastTime", hours)
        else:
            assert variable.window_kind is not None, f"{variable.element} is not a windowed variable"
            eccodes.codes_set_long(handle, "typeOfStatisticalProcessing", STATISTIC_CODES[variable.window_kind])
            eccodes.codes_set_string(handle, "stepRange", f"{int(window_start / timedelta('1h'))}-{hours}")
        eccodes.codes_set_string(handle, "packingType", packing)
        span = int(np.rint(np.ptp(values) * 2.0**variable.fraction_bits))
        eccodes.codes_set_long(handle, "bitsPerValue", max(1, span.bit_length()))
        eccodes.codes_set_long(handle, "decimalScaleFactor", 0)
        rows = values[::-1] if grid.j_scans_positively else values
        eccodes.codes_set_values(handle, np.ascontiguousarray(rows, dtype=np.float64).ravel())
        return eccodes.codes_get_message(handle)
    finally:
        eccodes.codes_release(handle)


def ensemble_text(member: int | None) -> str:
    if member is None:
        return ""
    return "ENS=low-res ctl" if member == 0 else f"ENS=+{member}"


def write_grib_file(
    path: Path,
    init: pd.Timestamp,
    lead: pd.Timedelta,
    variables: Sequence[GribVariable],
    grid: Grid,
    member: int | None = None,
) -> Path:
    """Write `path` and `path.idx`; each variable contributes the messages `GribVariable.windows` lists."""
    latitude, longitude = grid.mesh()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines, offset = [], 0
    extra = ensemble_text(member)
    with path.open("wb") as f:
        for variable in variables:
            for window_start in variable.windows(lead):
                values = expected_value(
                    variable, init, lead, latitude, longitude, member=member, window_start=window_start
                )
                message = encode_message(variable, init, lead, grid, values, window_start=window_start, member=member)
                if window_start is None:
                    forecast = forecast_text(lead, None)
                else:
                    assert variable.window_kind is not None
                    forecast = window_forecast_text(lead, window_start, variable.window_kind)
                lines.append(
                    f"{len(lines) + 1}:{offset}:d={init:%Y%m%d%H}:{variable.element}:{variable.level}:{forecast}:{extra}"
                )
                f.write(message)
                offset += len(message)
    path.with_name(path.name + ".idx").write_text("\n".join(lines) + "\n")
    return path


def gfs_relative_path(init: pd.Timestamp, lead: pd.Timedelta, resolution_tag: str = "0p25") -> str:
    hours = int(lead / timedelta("1h"))
    return f"gfs.{init:%Y%m%d}/{init:%H}/atmos/gfs.t{init:%H}z.pgrb2.{resolution_tag}.f{hours:03d}"


def write_gfs_archive(
    root: Path,
    inits: Sequence[pd.Timestamp],
    leads: Sequence[pd.Timedelta],
    variables: Sequence[GribVariable],
    grid: ArchiveGrid,
    resolution_tag: str = "0p25",
) -> list[Path]:
    return [
        write_grib_file(root / gfs_relative_path(init, lead, resolution_tag), init, lead, variables, grid)
        for init in inits
        for lead in leads
    ]
