import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from datasets.common.transforms import rounding
from datasets.common.transforms.rounding import round_float32_inplace


def test_rounds_half_to_even_and_keeps_non_finite_values() -> None:
    values = np.array([1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-9, np.nan, np.inf, -np.inf, -(1 + 3 * 2**-8)], np.float32)
    round_float32_inplace(values, 7)
    np.testing.assert_array_equal(values, [1, 1 + 4 * 2**-8, 1, np.nan, np.inf, -np.inf, -(1 + 4 * 2**-8)])


@given(
    hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=4, max_side=7), elements=st.floats(width=32)),
    st.integers(0, 22),
)
def test_slab_wise_rounding_equals_rounding_at_once(values: np.ndarray, bits: int) -> None:
    expected = round_float32_inplace(values.copy().reshape(-1), bits).reshape(values.shape)
    slab_wise = values.copy()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rounding, "SLAB_ELEMENTS", 5)
        round_float32_inplace(slab_wise, bits)
    np.testing.assert_array_equal(slab_wise.view(np.uint32), expected.view(np.uint32))


def test_non_contiguous_views_are_rounded_in_place() -> None:
    values = np.full((4, 6), 1 + 2**-9 + 2**-20, np.float32)
    round_float32_inplace(values[:, ::2], 7)
    assert (values[:, ::2] == 1).all()
    assert (values[:, 1::2] == np.float32(1 + 2**-9 + 2**-20)).all()
