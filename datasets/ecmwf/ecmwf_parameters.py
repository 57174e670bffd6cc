"""The variables ECMWF's open-data models share, declared once: name, attributes, `.index` identity and storage.
A dataset takes one with `EcmwfVariables.standard(name, **what its source does differently)`."""

from typing import Any

RUNNING_TOTAL_COMMENT = "Average over the time since the previous lead time, from running totals since the init time."
# Lossy packing of running totals of order 1e8 J m-2 leaves differences of a few W m-2 below zero.
RADIATION_NEGATIVE_RATE_TOLERANCE = -5.0


def _wind(name: str, height: int, component: str, short_name: str) -> dict[str, Any]:
    eastward = component == "U"
    return {
        "name": name, "long_name": f"{height} metre {component} wind component", "short_name": short_name,
        "units": "m s-1", "standard_name": "eastward_wind" if eastward else "northward_wind", "keep_mantissa_bits": 6,
    }  # fmt: skip


def _running_total(name: str, long_name: str, short_name: str, units: str, standard_name: str) -> dict[str, Any]:
    return {
        "name": name, "long_name": long_name, "short_name": short_name, "units": units, "step_type": "avg",
        "standard_name": standard_name, "values_at_lead_0": False, "running_total": True,
        "comment": f"{RUNNING_TOTAL_COMMENT} No value at lead time 0.",
    }  # fmt: skip


def _radiation(name: str, long_name: str, short_name: str, standard_name: str) -> dict[str, Any]:
    return _running_total(name, long_name, short_name, "W m-2", standard_name) | {
        "negative_rate_tolerance": RADIATION_NEGATIVE_RATE_TOLERANCE
    }


_DECLARATIONS: tuple[dict[str, Any], ...] = (
        {"name": "pressure_surface", "long_name": "Surface pressure", "short_name": "sp", "units": "Pa",
         "standard_name": "surface_air_pressure", "keep_mantissa_bits": 10},
        {"name": "pressure_reduced_to_mean_sea_level", "long_name": "Mean sea level pressure", "short_name": "msl",
         "units": "Pa", "standard_name": "air_pressure_at_mean_sea_level", "keep_mantissa_bits": 10},
        {"name": "temperature_2m", "long_name": "2 metre temperature", "short_name": "2t", "units": "degree_Celsius",
         "standard_name": "air_temperature", "unit_conversion": "kelvin_to_celsius"},
        {"name": "dew_point_temperature_2m", "long_name": "2 metre dewpoint temperature", "short_name": "2d",
         "units": "degree_Celsius", "standard_name": "dew_point_temperature", "unit_conversion": "kelvin_to_celsius"},
        _wind("wind_u_10m", 10, "U", "10u"),
        _wind("wind_v_10m", 10, "V", "10v"),
        _wind("wind_u_100m", 100, "U", "100u"),
        _wind("wind_v_100m", 100, "V", "100v"),
        _running_total("precipitation_surface", "Total precipitation", "tp", "kg m-2 s-1", "precipitation_flux"),
        _radiation("downward_short_wave_radiation_flux_surface", "Surface short-wave (solar) radiation downwards",
                   "ssrd", "surface_downwelling_shortwave_flux_in_air"),
        _radiation("downward_long_wave_radiation_flux_surface", "Surface long-wave (thermal) radiation downwards",
                   "strd", "surface_downwelling_longwave_flux_in_air"),
        {"name": "total_cloud_cover_atmosphere", "long_name": "Total cloud cover", "short_name": "tcc",
         "units": "percent", "standard_name": "cloud_area_fraction"},
        *({"name": f"geopotential_height_{level}hpa", "long_name": "Geopotential height", "short_name": "gh",
           "units": "m", "standard_name": "geopotential_height", "levtype": "pl", "levelist": str(level),
           "keep_mantissa_bits": 10} for level in (500, 850, 925)),
        *({"name": f"temperature_{level}hpa", "long_name": "Temperature", "short_name": "t",
           "units": "degree_Celsius", "standard_name": "air_temperature", "levtype": "pl", "levelist": str(level),
           "unit_conversion": "kelvin_to_celsius"} for level in (850, 925)),
)  # fmt: skip
STANDARD_VARIABLES: dict[str, dict[str, Any]] = {v["name"]: v for v in _DECLARATIONS}
