"""What a GRIB2 field is, rendered the way wgrib2 writes NOAA `.idx` lines: element, level, forecast."""

from typing import Any

import eccodes

from datasets.common.config_models import FrozenBaseModel
from datasets.common.sources.noaa_idx import instant_forecast_text, window_forecast_text
from datasets.common.timestamps import timedelta

NCEP_CENTRE = 7

# (discipline, parameterCategory, parameterNumber) -> NCEP abbreviation; numbers >= 192 are NCEP-local.
NCEP_ELEMENTS: dict[tuple[int, int, int], str] = {
    (0, 0, 0): "TMP", (0, 0, 2): "POT", (0, 0, 4): "TMAX", (0, 0, 5): "TMIN", (0, 0, 6): "DPT",
    (0, 0, 10): "LHTFL", (0, 0, 11): "SHTFL",
    (0, 1, 0): "SPFH", (0, 1, 1): "RH", (0, 1, 3): "PWAT", (0, 1, 7): "PRATE", (0, 1, 8): "APCP",
    (0, 1, 10): "ACPCP", (0, 1, 11): "SNOD", (0, 1, 13): "WEASD", (0, 1, 22): "CLMR", (0, 1, 29): "ASNOW",
    (0, 1, 39): "CPOFP", (0, 1, 42): "SNOWC",
    (0, 1, 192): "CRAIN", (0, 1, 193): "CFRZR", (0, 1, 194): "CICEP", (0, 1, 195): "CSNOW",
    (0, 1, 196): "CPRAT", (0, 1, 200): "PEVPR",
    (0, 2, 2): "UGRD", (0, 2, 3): "VGRD", (0, 2, 8): "VVEL", (0, 2, 10): "ABSV", (0, 2, 17): "UFLX",
    (0, 2, 18): "VFLX", (0, 2, 22): "GUST", (0, 2, 192): "VWSH", (0, 2, 194): "USTM", (0, 2, 195): "VSTM",
    (0, 3, 0): "PRES", (0, 3, 1): "PRMSL", (0, 3, 3): "ICAHT", (0, 3, 5): "HGT", (0, 3, 9): "GPA",
    (0, 3, 192): "MSLET", (0, 3, 193): "5WAVH", (0, 3, 194): "U-GWD", (0, 3, 195): "V-GWD", (0, 3, 196): "HPBL",
    (0, 3, 197): "5WAVA", (0, 3, 198): "MSLMA",
    (0, 4, 7): "DSWRF", (0, 4, 8): "USWRF", (0, 4, 192): "DSWRF", (0, 4, 193): "USWRF",
    (0, 5, 3): "DLWRF", (0, 5, 4): "ULWRF", (0, 5, 192): "DLWRF", (0, 5, 193): "ULWRF",
    (0, 6, 1): "TCDC", (0, 6, 6): "CWAT", (0, 6, 193): "CWORK", (0, 6, 201): "SUNSD",
    (0, 7, 0): "PLI", (0, 7, 6): "CAPE", (0, 7, 7): "CIN", (0, 7, 8): "HLCY", (0, 7, 192): "LFTX", (0, 7, 193): "4LFTX",
    (0, 14, 0): "TOZNE", (0, 14, 192): "O3MR",
    (0, 16, 196): "REFC",
    (0, 19, 0): "VIS", (0, 19, 1): "ALBDO",
    (2, 0, 0): "LAND", (2, 0, 5): "WATR", (2, 0, 192): "SOILW", (2, 0, 193): "GFLUX", (2, 0, 201): "WILT",
    (2, 3, 203): "FLDCP",
    (10, 2, 0): "ICEC",
}  # fmt: skip

# typeOfFixedSurface -> wgrib2 name for surfaces that carry no value.
NAMED_SURFACES: dict[int, str] = {
    1: "surface", 2: "cloud base", 3: "cloud top", 4: "0C isotherm", 6: "max wind", 7: "tropopause",
    8: "top of atmosphere", 10: "entire atmosphere", 101: "mean sea level",
    200: "entire atmosphere (considered as a single layer)", 204: "highest tropospheric freezing level",
    211: "boundary layer cloud layer", 212: "low cloud bottom level", 213: "low cloud top level",
    214: "low cloud layer", 215: "cloud ceiling", 220: "planetary boundary layer",
    222: "middle cloud bottom level", 223: "middle cloud top level", 224: "middle cloud layer",
    232: "high cloud bottom level", 233: "high cloud top level", 234: "high cloud layer",
    242: "convective cloud bottom level", 243: "convective cloud top level", 244: "convective cloud layer",
}  # fmt: skip

# typeOfFixedSurface -> (divisor to wgrib2's unit, text for one level, text for a layer)
VALUED_SURFACES: dict[int, tuple[float, str, str]] = {
    100: (100, "{} mb", "{}-{} mb"),
    102: (1, "{} m above mean sea level", "{}-{} m above mean sea level"),
    103: (1, "{} m above ground", "{}-{} m above ground"),
    104: (1, "{} sigma level", "{}-{} sigma layer"),
    106: (1, "{} m below ground", "{}-{} m below ground"),
    108: (100, "{} mb above ground", "{}-{} mb above ground"),
    109: (1, "PV={} (Km^2/kg/s) surface", "PV={}-{} (Km^2/kg/s) layer"),
}

STATISTIC_KINDS = {0: "ave", 1: "acc", 2: "max", 3: "min", 255: ""}
STATISTICAL_TEMPLATES = {8, 11, 12}
ENSEMBLE_TEMPLATES = {1, 11}
HOURS_PER_UNIT = {0: 1 / 60, 1: 1, 2: 24, 10: 3, 11: 6, 12: 12, 13: 1 / 3600}
MISSING_SURFACE = 255


class FieldIdentity(FrozenBaseModel):
    element: str
    level: str
    forecast: str
    extra: str = ""

    def __str__(self) -> str:
        return ":".join(part for part in (self.element, self.level, self.forecast, self.extra) if part)


def field_identity(handle: Any) -> FieldIdentity:
    """The identity of an eccodes GRIB2 handle as wgrib2 would print it in an `.idx` line."""
    return FieldIdentity(
        element=_element(handle), level=_level(handle), forecast=_forecast(handle), extra=_extra(handle)
    )


def _get(handle: Any, key: str) -> int | None:
    if not eccodes.codes_is_defined(handle, key) or eccodes.codes_is_missing(handle, key):
        return None
    return eccodes.codes_get_long(handle, key)


def _element(handle: Any) -> str:
    centre = eccodes.codes_get_long(handle, "centre")
    discipline, category, number = (
        eccodes.codes_get_long(handle, key) for key in ("discipline", "parameterCategory", "parameterNumber")
    )
    local = category >= 192 or number >= 192
    name = NCEP_ELEMENTS.get((discipline, category, number))
    if name is not None and (centre == NCEP_CENTRE or not local):
        return name
    local_table = _get(handle, "localTablesVersion") or 0
    return f"var discipline={discipline} center={centre} local_table={local_table} parmcat={category} parm={number}"


def _surface_value(handle: Any, which: str) -> float | None:
    scaled = _get(handle, f"scaledValueOf{which}FixedSurface")
    factor = _get(handle, f"scaleFactorOf{which}FixedSurface")
    if scaled is None:
        return None
    if scaled >= 2**31:  # sign-magnitude negative
        scaled = -(scaled - 2**31)
    if factor is not None and factor >= 2**7:
        factor = -(factor - 2**7)
    return scaled * 10.0 ** -(factor or 0)


def _level(handle: Any) -> str:
    first_type = _get(handle, "typeOfFirstFixedSurface")
    second_type = _get(handle, "typeOfSecondFixedSurface") or MISSING_SURFACE
    first = _surface_value(handle, "First")
    second = _surface_value(handle, "Second")
    if first_type in VALUED_SURFACES and first is not None:
        divisor, single, layer = VALUED_SURFACES[first_type]
        if second_type == first_type and second is not None:
            return layer.format(f"{first / divisor:g}", f"{second / divisor:g}")
        if second_type == MISSING_SURFACE:
            return single.format(f"{first / divisor:g}")
    if first_type in NAMED_SURFACES and second_type in (MISSING_SURFACE, first_type):
        return NAMED_SURFACES[first_type]
    return f"level type {first_type} {first} to type {second_type} {second}"


def _hours(value: int, unit: int) -> float:
    assert unit in HOURS_PER_UNIT, f"unsupported GRIB time unit {unit}"
    return value * HOURS_PER_UNIT[unit]


def _forecast(handle: Any) -> str:
    template = eccodes.codes_get_long(handle, "productDefinitionTemplateNumber")
    start = _hours(
        eccodes.codes_get_long(handle, "forecastTime"), eccodes.codes_get_long(handle, "indicatorOfUnitOfTimeRange")
    )
    if template not in STATISTICAL_TEMPLATES:
        return instant_forecast_text(timedelta(f"{start}h"))
    length = _hours(
        eccodes.codes_get_long(handle, "lengthOfTimeRange"),
        eccodes.codes_get_long(handle, "indicatorOfUnitForTimeRange"),
    )
    kind = STATISTIC_KINDS.get(eccodes.codes_get_long(handle, "typeOfStatisticalProcessing"), "unknown")
    return window_forecast_text(timedelta(f"{start + length}h"), timedelta(f"{start}h"), kind)


def _extra(handle: Any) -> str:
    template = eccodes.codes_get_long(handle, "productDefinitionTemplateNumber")
    if template not in ENSEMBLE_TEMPLATES:
        return ""
    kind = eccodes.codes_get_long(handle, "typeOfEnsembleForecast")
    number = eccodes.codes_get_long(handle, "perturbationNumber")
    match kind:
        case 0:
            return "ENS=hi-res ctl"
        case 1:
            return "ENS=low-res ctl"
        case 2:
            return f"ENS=-{number}"
        case 3:
            return f"ENS=+{number}"
        case _:
            return f"ENS={kind}:{number}"
