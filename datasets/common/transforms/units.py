from typing import Literal

import numpy as np

KELVIN_AT_ZERO_CELSIUS = 273.15
STANDARD_GRAVITY = 9.80665  # m s-2, WMO's constant for geopotential height
type UnitConversion = Literal[
    "kelvin_to_celsius", "fraction_to_percent", "metres_of_water_to_kg_m2", "geopotential_to_geopotential_height"
]
# Conversions that are a factor: stored = source x factor.
UNIT_SCALES: dict[UnitConversion, float] = {
    "fraction_to_percent": 100,
    "metres_of_water_to_kg_m2": 1000,
    "geopotential_to_geopotential_height": 1 / STANDARD_GRAVITY,
}


def kelvin_to_celsius_inplace(values: np.ndarray) -> np.ndarray:
    values -= np.asarray(KELVIN_AT_ZERO_CELSIUS, dtype=values.dtype)
    return values


def convert_units_inplace(values: np.ndarray, conversion: UnitConversion) -> np.ndarray:
    if conversion == "kelvin_to_celsius":
        return kelvin_to_celsius_inplace(values)
    values *= np.asarray(UNIT_SCALES[conversion], dtype=values.dtype)
    return values
