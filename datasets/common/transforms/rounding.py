import numpy as np

from datasets.common.config_models import BaseInternalAttrs

# Rounding makes a few temporaries the size of its input: large arrays are rounded a slab at a time.
SLAB_ELEMENTS = 1 << 22


def round_float32_inplace(values: np.ndarray, keep_mantissa_bits: int) -> np.ndarray:
    """Round float32 values to `keep_mantissa_bits` explicit mantissa bits (round half to even), in place.

    Zeroed trailing bits compress far better; NaN and inf are preserved.
    """
    assert values.dtype == np.float32, f"expected float32, got {values.dtype}"
    assert 0 <= keep_mantissa_bits <= 23, f"keep_mantissa_bits must be in 0..23, got {keep_mantissa_bits}"
    if keep_mantissa_bits == 23:
        return values
    if values.size > SLAB_ELEMENTS or (values.ndim > 1 and not values.flags.c_contiguous):
        if values.ndim > 1:
            slabs = list(values)
        else:
            slabs = [values[start : start + SLAB_ELEMENTS] for start in range(0, values.size, SLAB_ELEMENTS)]
        for slab in slabs:
            round_float32_inplace(slab, keep_mantissa_bits)
        return values
    drop_bits = 23 - keep_mantissa_bits
    bits = values.view(np.uint32)
    non_finite = (bits & np.uint32(0x7F800000)) == np.uint32(0x7F800000)
    half = np.uint32((1 << (drop_bits - 1)) - 1)
    lowest_kept_bit = (bits >> np.uint32(drop_bits)) & np.uint32(1)
    mask = np.uint32(~((1 << drop_bits) - 1) & 0xFFFFFFFF)
    rounded = ((bits + half + lowest_kept_bit) & mask).astype(np.uint32)
    np.copyto(bits, rounded, where=~non_finite)
    return values


def round_for_storage(values: np.ndarray, internal_attrs: BaseInternalAttrs) -> np.ndarray:
    if internal_attrs.keep_mantissa_bits == "no-rounding":
        return values
    return round_float32_inplace(values, internal_attrs.keep_mantissa_bits)
