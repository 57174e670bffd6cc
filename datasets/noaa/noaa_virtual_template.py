"""Virtual variables of a NOAA dataset: the materialized declaration, stored as one raw GRIB message per chunk."""

from typing import Any

import numpy as np

from datasets.common.config_models import DatasetAttributes, DataVar, Encoding
from datasets.common.sources.grib import GridSpec
from datasets.common.virtual.codec import GribCodec
from datasets.noaa.noaa_region_job import NoaaInternalAttrs

RAW_VALUES_COMMENT = (
    "Virtual: the source GRIB message's values in the source's units, decoded when read (Zarr codec "
    "reformatters.grib2); no unit conversion, deaccumulation or rounding happens at read time."
)


def virtual_encoding(grid: GridSpec, leading_dims: int) -> Encoding:
    """One chunk = one whole message; no shards, no compression: the chunk's bytes are the message's."""
    return Encoding(
        dtype="float32",
        chunks=(*(1,) * leading_dims, grid.nj, grid.ni),
        fill_value=np.nan,
        serializer=GribCodec(grid=grid).to_dict(),
    )


def virtual_data_var(var: DataVar[NoaaInternalAttrs], encoding: Encoding, **attrs: Any) -> DataVar[NoaaInternalAttrs]:
    """`var` as the source publishes it. Kelvin stays kelvin; an accumulation must say what it accumulates."""
    internal = var.internal_attrs
    if internal.unit_conversion == "kelvin_to_celsius":
        attrs.setdefault("units", "K")
    assert not internal.deaccumulate_to_rate or "units" in attrs, f"{var.name}: give the accumulation's own attrs"
    comment = " ".join(c for c in (attrs.pop("comment", var.attrs.comment), RAW_VALUES_COMMENT) if c)
    return var.model_copy(
        update={
            "encoding": encoding,
            "attrs": var.attrs.model_copy(update={**attrs, "comment": comment}),
            "internal_attrs": internal.model_copy(
                update={"keep_mantissa_bits": "no-rounding", "deaccumulate_to_rate": False, "unit_conversion": None}
            ),
        }
    )


def virtual_dataset_attributes(materialized: DatasetAttributes) -> DatasetAttributes:
    return materialized.model_copy(
        update={
            "dataset_id": f"{materialized.dataset_id}-virtual",
            "name": f"{materialized.name}, virtual",
            "description": f"{materialized.description} Virtual: every chunk is a reference to one GRIB message in "
            "NOAA's archive, decoded when read; values and units as published.",
        }
    )
