import numpy as np

from datasets.common.config_models import BaseInternalAttrs

_EXPONENT_BITS = np.uint32(0x7F800000)
# Elements rounded per step: the temporaries stay in cache instead of costing a page fault per 4 KB.
_BLOCK = 1 << 16


def round_float32_inplace(values: np.ndarray, keep_mantissa_bits: int) -> np.ndarray:
    """Round float32 values to `keep_mantissa_bits` explicit mantissa bits (round half to even), in place.

    Zeroed trailing bits compress far better; NaN and inf are preserved.
    """
    assert values.dtype == np.float32, f"expected float32, got {values.dtype}"
    assert 0 <= keep_mantissa_bits <= 23, f"keep_mantissa_bits must be in 0..23, got {keep_mantissa_bits}"
    if keep_mantissa_bits == 23 or values.size == 0:
        return values
    drop_bits = 23 - keep_mantissa_bits
    if not values.flags.c_contiguous:
        _round_bits(values.view(np.uint32), drop_bits, np.empty(values.shape, np.uint32), np.empty(values.shape, bool))
        return values
    bits = values.reshape(-1).view(np.uint32)
    rounded = np.empty(min(_BLOCK, bits.size), dtype=np.uint32)
    finite = np.empty(rounded.size, dtype=bool)
    for start in range(0, bits.size, _BLOCK):
        block = bits[start : start + _BLOCK]
        _round_bits(block, drop_bits, rounded[: block.size], finite[: block.size])
    return values


def _round_bits(bits: np.ndarray, drop_bits: int, scratch: np.ndarray, finite: np.ndarray) -> None:
    half = np.uint32((1 << (drop_bits - 1)) - 1)
    mask = np.uint32(~((1 << drop_bits) - 1) & 0xFFFFFFFF)
    np.bitwise_and(bits, _EXPONENT_BITS, out=scratch)
    np.not_equal(scratch, _EXPONENT_BITS, out=finite)
    np.right_shift(bits, np.uint32(drop_bits), out=scratch)
    np.bitwise_and(scratch, np.uint32(1), out=scratch)  # the lowest kept bit breaks ties to even
    scratch += half
    scratch += bits
    scratch &= mask
    np.copyto(bits, scratch, where=finite)


def round_for_storage(values: np.ndarray, internal_attrs: BaseInternalAttrs) -> np.ndarray:
    if internal_attrs.keep_mantissa_bits == "no-rounding":
        return values
    return round_float32_inplace(values, internal_attrs.keep_mantissa_bits)
