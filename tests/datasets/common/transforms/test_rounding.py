import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from datasets.common.config_models import BaseInternalAttrs
from datasets.common.transforms.rounding import round_float32_inplace, round_for_storage


def reference(values: np.ndarray, keep_mantissa_bits: int) -> np.ndarray:
    """Round half to even on the mantissa, one value at a time with Python integers."""
    out = values.copy()
    bits = out.reshape(-1).view(np.uint32)
    drop = 23 - keep_mantissa_bits
    for i, b in enumerate(bits.tolist()):
        if (b >> 23) & 0xFF == 0xFF:
            continue
        low, kept = b & ((1 << drop) - 1), b >> drop
        halfway = 1 << (drop - 1)
        if low > halfway or (low == halfway and kept & 1):
            kept += 1
        bits[i] = (kept << drop) & 0xFFFFFFFF
    return out


@given(
    hnp.arrays(np.float32, st.integers(0, 300), elements=st.floats(width=32, allow_nan=True, allow_infinity=True)),
    st.integers(0, 22),
)
def test_matches_round_half_to_even_on_the_bits(values: np.ndarray, keep_mantissa_bits: int) -> None:
    expected = reference(values, keep_mantissa_bits)
    assert round_float32_inplace(values, keep_mantissa_bits).tobytes() == expected.tobytes()


def test_ties_go_to_even_and_special_values_survive() -> None:
    values = np.array([1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8), np.nan, np.inf, -np.inf, 0.0], dtype=np.float32)
    round_float32_inplace(values, 7)
    np.testing.assert_array_equal(values[:3], [1.0, 1 + 2**-6, -1.0])
    assert np.isnan(values[3])
    np.testing.assert_array_equal(values[4:], [np.inf, -np.inf, 0.0])


def test_large_and_non_contiguous_arrays_round_in_place() -> None:
    rng = np.random.default_rng(0)
    values = (rng.standard_normal((3, 70_001)) * 1000).astype(np.float32)
    values[1, ::7] = np.nan
    expected = reference(values, 10)
    whole = values.copy()
    assert round_float32_inplace(whole, 10) is whole
    assert whole.tobytes() == expected.tobytes()
    transposed = values.copy().T
    round_float32_inplace(transposed, 10)
    assert transposed.T.tobytes() == expected.tobytes()


@pytest.mark.parametrize("bits", [23, "no-rounding"])
def test_no_rounding(bits: int | str) -> None:
    values = np.array([1 + 2**-20], dtype=np.float32)
    assert round_for_storage(values, BaseInternalAttrs(keep_mantissa_bits=bits))[0] == np.float32(1 + 2**-20)
