"""Write GRIB2 archives with eccodes in NOAA's layout, with `.idx` inventories holding the true offsets.

Values are exact functions of (variable, init, lead, latitude, longitude, member): every value is a multiple
of 2**-fraction_bits and the packing is lossless for such values, so decoding returns them exactly. A variable's
spatial structure is a smooth pattern, or (with `earth`) a real field of the GFS sample in earth_sample/.
"""

import functools
import multiprocessing
import zlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import eccodes
import numpy as np
import pandas as pd

from datasets.common.config_models import FrozenBaseModel
from datasets.common.sources.earth_sample import EarthField, earth_values
from datasets.common.sources.noaa_idx import WindowKind, forecast_text, gfs_window_start, window_forecast_text
from datasets.common.sources.synthetic_grids import ArchiveGrid, Grid
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
    noise: float = 0.0  # standard deviation of fixed small-scale noise, for realistic packed sizes
    fraction_bits: int = 6
    earth: EarthField | None = None  # a real field's structure instead of the pattern (offset, amplitude unused)
    trend: float = 1.0  # scales the change per hour, init and member (keep it a power of 2: values stay exact)

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


def _quantize(values: np.ndarray, fraction_bits: int) -> np.ndarray:
    scale = 2.0**fraction_bits
    return np.round(values * scale) / scale


def spatial_field(variable: GribVariable, latitude: np.ndarray, longitude: np.ndarray) -> np.ndarray:
    """The part of every value of `variable` that varies in space (the costly part: computed once per message)."""
    phase = zlib.crc32(f"{variable.element}:{variable.level}".encode()) % 360
    if variable.earth is not None:
        field = earth_values(variable.earth, latitude, longitude)
    else:
        pattern = np.cos(np.radians(latitude)) * np.sin(np.radians(longitude + phase))
        field = variable.offset + variable.amplitude * pattern + 0.001 * latitude
    if variable.noise:
        field += variable.noise * np.random.default_rng(phase).standard_normal(field.shape)
    return field


def hourly_value(
    variable: GribVariable, init: pd.Timestamp, hour: int, spatial: np.ndarray, member: int | None = None
) -> np.ndarray:
    """The per-hour quantity behind every message (instant value, or the hour's share of a window)."""
    init_index = int((init - REFERENCE_TIME) / timedelta("6h")) % 32
    trend = (0.25 * hour + 0.5 * init_index + 0.125 * (member or 0)) * variable.trend
    return _quantize(spatial + trend, variable.fraction_bits)


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
    return _message_values(variable, init, lead, spatial_field(variable, lat, lon), member, window_start)


@functools.lru_cache(maxsize=64)
def _spatial_field_on_grid(variable: GribVariable, grid: Grid) -> np.ndarray:
    """Every file of an archive shares it: computed once per variable and grid in a process."""
    spatial = spatial_field(variable, *grid.mesh())
    spatial.flags.writeable = False
    return spatial


def _message_values(
    variable: GribVariable,
    init: pd.Timestamp,
    lead: pd.Timedelta,
    spatial: np.ndarray,
    member: int | None,
    window_start: pd.Timedelta | None,
) -> np.ndarray:
    hours = int(lead / timedelta("1h"))
    if variable.window_kind is None:
        return hourly_value(variable, init, hours, spatial, member)
    if window_start is None:
        assert variable.window_reset_hours is not None, f"{variable.element}: a window needs window_reset_hours"
        window_start = gfs_window_start(lead, variable.window_reset_hours)
    start = int(window_start / timedelta("1h"))
    if hours == start:
        steps = [hourly_value(variable, init, hours, spatial, member)]
        return np.zeros_like(steps[0]) if variable.window_kind == "acc" else steps[0]
    steps = [hourly_value(variable, init, h, spatial, member) for h in range(start + 1, hours + 1)]
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


def encode_member(
    handle: object, values: np.ndarray, member: int | None, fraction_bits: int, control_type: int = 1
) -> bytes:
    """The message of `handle` holding `values` with `fraction_bits` binary fraction digits, as ensemble `member`
    (typeOfEnsembleForecast `control_type` for the control, 3 for a perturbed member) unless it is None."""
    if member is not None:
        eccodes.codes_set_long(handle, "typeOfEnsembleForecast", control_type if member == 0 else 3)
        eccodes.codes_set_long(handle, "perturbationNumber", member)
    span = int(np.rint(np.ptp(values) * 2.0**fraction_bits))
    eccodes.codes_set_long(handle, "bitsPerValue", max(1, span.bit_length()))
    eccodes.codes_set_values(handle, np.ascontiguousarray(values, dtype=np.float64).ravel())
    return eccodes.codes_get_message(handle)


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
    path.parent.mkdir(parents=True, exist_ok=True)
    lines, offset = [], 0
    extra = ensemble_text(member)
    with path.open("wb") as f:
        for variable in variables:
            for window_start in variable.windows(lead):
                spatial = _spatial_field_on_grid(variable, grid)
                values = _message_values(variable, init, lead, spatial, member, window_start)
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
    workers: int = 1,
) -> list[Path]:
    """One file per (init, lead); `workers` > 1 writes them in that many processes (worth it on fine grids)."""
    files = [(root / gfs_relative_path(init, lead, resolution_tag), init, lead) for init in inits for lead in leads]
    if workers == 1:
        return [write_grib_file(path, init, lead, variables, grid) for path, init, lead in files]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(write_grib_file, path, init, lead, variables, grid) for path, init, lead in files]
        return [future.result() for future in futures]
