from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

type StepType = Literal["instant", "accum", "avg", "min", "max"]


class FrozenBaseModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE: dict[str, Any] = {
    "name": "blosc",
    "configuration": {"typesize": 4, "cname": "zstd", "clevel": 3, "shuffle": "shuffle", "blocksize": 0},
}
BLOSC_8BYTE_ZSTD_LEVEL3_SHUFFLE: dict[str, Any] = {
    "name": "blosc",
    "configuration": {"typesize": 8, "cname": "zstd", "clevel": 3, "shuffle": "shuffle", "blocksize": 0},
}

# Oversized so appending values to the append-dim coordinate never creates a new chunk object:
# new values can be written before the metadata that exposes them.
APPEND_DIM_COORDINATE_CHUNK_SIZE = 100_000


class Encoding(FrozenBaseModel):
    dtype: Literal["float32", "float64", "int64", "int32", "uint8", "bool"]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None = None
    fill_value: float | int | bool
    compressors: tuple[dict[str, Any], ...] = ()
    # The array→bytes codec; None: zarr's default (raw bytes). A virtual dataset's decodes GRIB messages.
    serializer: dict[str, Any] | None = None
    units: str | None = None
    calendar: str | None = None

    @field_validator("chunks")
    @classmethod
    def _positive_chunks(cls, chunks: tuple[int, ...]) -> tuple[int, ...]:
        if not chunks or any(c < 1 for c in chunks):
            raise ValueError(f"chunks must be positive integers, got {chunks}")
        return chunks

    @model_validator(mode="after")
    def _shards_are_multiples_of_chunks(self) -> "Encoding":
        if self.shards is None:
            return self
        if len(self.shards) != len(self.chunks):
            raise ValueError(f"shards {self.shards} and chunks {self.chunks} differ in length")
        for shard, chunk in zip(self.shards, self.chunks, strict=True):
            if shard < 1 or shard % chunk != 0:
                raise ValueError(
                    f"each shard size must be a positive multiple of its chunk size: {self.shards} vs {self.chunks}"
                )
        return self

    def to_xarray_encoding(self) -> dict[str, Any]:
        encoding: dict[str, Any] = {
            "dtype": np.dtype(self.dtype),
            "chunks": self.chunks,
            "shards": self.shards,
            "fill_value": self.fill_value,
            "compressors": list(self.compressors) or None,
        }
        if self.serializer is not None:
            encoding["serializer"] = self.serializer
        if self.units is not None:
            encoding["units"] = self.units
        if self.calendar is not None:
            encoding["calendar"] = self.calendar
        return encoding

    def chunk_bytes(self) -> int:
        return int(np.prod(self.chunks)) * np.dtype(self.dtype).itemsize

    def shard_bytes(self) -> int:
        return int(np.prod(self.shards or self.chunks)) * np.dtype(self.dtype).itemsize


def float32_encoding(chunks: tuple[int, ...], shards: tuple[int, ...]) -> Encoding:
    """The encoding of a data variable: float32, NaN where there is no data, 4-byte blosc zstd."""
    return Encoding(
        dtype="float32", chunks=chunks, shards=shards, fill_value=np.nan, compressors=(BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE,)
    )


class DataVarAttrs(FrozenBaseModel):
    long_name: str
    short_name: str
    units: str
    step_type: StepType
    standard_name: str | None = None
    comment: str | None = None
    flag_values: tuple[int, ...] | None = None
    flag_meanings: str | None = None

    @model_validator(mode="after")
    def _flags_come_in_pairs(self) -> "DataVarAttrs":
        if (self.flag_values is None) != (self.flag_meanings is None):
            raise ValueError("flag_values and flag_meanings go together")
        if self.flag_values is not None and self.flag_meanings is not None:
            assert len(self.flag_values) == len(self.flag_meanings.split()), "one flag meaning per flag value"
        return self


class BaseInternalAttrs(FrozenBaseModel):
    keep_mantissa_bits: int | Literal["no-rounding"]

    @property
    def has_hour_0_values(self) -> bool:
        return True


class DataVar[InternalAttrs: BaseInternalAttrs](FrozenBaseModel):
    name: str
    encoding: Encoding
    attrs: DataVarAttrs
    internal_attrs: InternalAttrs

    @field_validator("name")
    @classmethod
    def _snake_case(cls, name: str) -> str:
        if not name.replace("_", "").isalnum() or name != name.lower():
            raise ValueError(f"variable names are lowercase snake_case, got {name!r}")
        return name


class CoordinateAttrs(FrozenBaseModel):
    units: str | None = None
    long_name: str | None = None
    standard_name: str | None = None
    axis: str | None = None
    comment: str | None = None
    statistics_approximate: dict[str, Any] | None = None
    crs_wkt: str | None = None
    extra: dict[str, Any] = {}

    def to_dict(self) -> dict[str, Any]:
        attrs = self.model_dump(exclude_none=True, exclude={"extra"})
        return attrs | self.extra


class Coordinate(FrozenBaseModel):
    name: str
    encoding: Encoding
    attrs: CoordinateAttrs


class DatasetAttributes(FrozenBaseModel):
    dataset_id: str
    dataset_version: str
    name: str
    description: str
    attribution: str
    license: str = "CC-BY-4.0"
    spatial_domain: str
    spatial_resolution: str
    time_domain: str
    time_resolution: str
    forecast_domain: str | None = None
    forecast_resolution: str | None = None

    @field_validator("dataset_id")
    @classmethod
    def _kebab_case(cls, dataset_id: str) -> str:
        if not dataset_id.replace("-", "").isalnum() or dataset_id != dataset_id.lower():
            raise ValueError(f"dataset ids are lowercase kebab-case, got {dataset_id!r}")
        return dataset_id


def unique_names(items: Sequence[DataVar[Any] | Coordinate]) -> None:
    names = [item.name for item in items]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate names: {sorted(duplicates)}"
