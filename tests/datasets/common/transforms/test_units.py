import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from datasets.common.transforms.units import kelvin_to_celsius_inplace


def test_freezing_point_and_nan() -> None:
    values = np.array([273.15, np.nan, 0.0], dtype=np.float32)
    result = kelvin_to_celsius_inplace(values)
    assert result is values
    np.testing.assert_array_equal(values, np.array([0.0, np.nan, -273.15], dtype=np.float32))


@given(st.floats(150, 350, width=32))
def test_matches_float32_subtraction(kelvin: float) -> None:
    values = np.array([kelvin], dtype=np.float32)
    kelvin_to_celsius_inplace(values)
    assert values[0] == np.float32(kelvin) - np.float32(273.15)
    assert values.dtype == np.float32
