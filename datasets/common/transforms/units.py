import numpy as np

KELVIN_AT_ZERO_CELSIUS = 273.15


def kelvin_to_celsius_inplace(values: np.ndarray) -> np.ndarray:
    values -= np.asarray(KELVIN_AT_ZERO_CELSIUS, dtype=values.dtype)
    return values
