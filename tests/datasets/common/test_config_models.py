import numpy as np
import pytest
from pydantic import ValidationError

from datasets.common.config_models import BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE, DataVarAttrs, Encoding, float32_encoding


def test_shards_must_be_multiples_of_chunks() -> None:
    Encoding(dtype="float32", chunks=(1, 105, 121, 121), shards=(1, 210, 726, 726), fill_value=float("nan"))
    with pytest.raises(ValidationError, match="multiple"):
        Encoding(dtype="float32", chunks=(1, 105, 121, 121), shards=(1, 200, 726, 726), fill_value=float("nan"))
    with pytest.raises(ValidationError, match="differ in length"):
        Encoding(dtype="float32", chunks=(1, 2), shards=(1, 2, 3), fill_value=0.0)
    with pytest.raises(ValidationError, match="positive"):
        Encoding(dtype="float32", chunks=(0, 2), fill_value=0.0)


def test_encoding_sizes_and_frozen() -> None:
    encoding = Encoding(dtype="float32", chunks=(1, 105, 121, 121), shards=(1, 210, 726, 726), fill_value=0.0)
    assert encoding.chunk_bytes() == 105 * 121 * 121 * 4
    assert encoding.shard_bytes() == 210 * 726 * 726 * 4
    with pytest.raises(ValidationError):
        encoding.chunks = (2,)  # ty: ignore[invalid-assignment]


def test_flag_values_need_meanings() -> None:
    with pytest.raises(ValidationError, match="go together"):
        DataVarAttrs(long_name="x", short_name="x", units="1", step_type="avg", flag_values=(0, 1))


def test_float32_encoding_is_nan_filled_blosc_float32() -> None:
    encoding = float32_encoding((1, 2), (1, 4))
    assert (encoding.dtype, encoding.chunks, encoding.shards) == ("float32", (1, 2), (1, 4))
    assert np.isnan(encoding.fill_value)
    assert encoding.compressors == (BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE,)
