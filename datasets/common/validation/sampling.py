"""Cheap reads for the data checks: a few whole spatial chunks per position, and which values are expected."""

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr
from pydantic import Field

from datasets.common.config_models import FrozenBaseModel
from datasets.common.validation.check import ValidationTarget

LEAD_DIM = "lead_time"
INGESTED = "ingested_forecast_length"
EXPECTED = "expected_forecast_length"
BLOCK_BYTES = 128 * 1024**2

# "ingested": up to each position's ingested_forecast_length (all leads where it is missing);
# "full": up to expected_forecast_length. Without those coordinates every lead time is expected.
type Extent = Literal["ingested", "full"]


class SpatialSample(FrozenBaseModel):
    """Which part of the grid (the variable's last two dims) a data check reads at each position.

    `chunks` random spatial chunks (fixed by `seed`), each read whole: reading one value of a chunk costs
    as much as reading all of it. None reads the whole grid.
    """

    chunks: int | None = Field(default=2, ge=1)
    seed: int = 0


def sample_boxes(var: xr.DataArray, sample: SpatialSample) -> list[dict[str, slice]]:
    dims = [str(d) for d in var.dims[-2:]]
    chunk_shape = var.encoding.get("chunks") or var.shape
    sizes = [var.sizes[d] for d in dims]
    chunks = [int(chunk_shape[var.dims.index(d)]) for d in dims]
    counts = [math.ceil(size / chunk) for size, chunk in zip(sizes, chunks, strict=True)]
    total = math.prod(counts)
    if sample.chunks is None or sample.chunks >= total:
        return [dict.fromkeys(dims, slice(None))]
    picked = np.random.default_rng(sample.seed).choice(total, size=sample.chunks, replace=False)
    boxes = []
    for flat in sorted(int(i) for i in picked):
        index = np.unravel_index(flat, counts)
        boxes.append(
            {
                d: slice(int(i) * c, min((int(i) + 1) * c, s))
                for d, i, c, s in zip(dims, index, chunks, sizes, strict=True)
            }
        )
    return boxes


def lead_mask(target: ValidationTarget, name: str, positions: np.ndarray, extent: Extent) -> np.ndarray:
    """Boolean (positions, lead times) of the values expected to hold data; (positions, 1) without lead times."""
    ds = target.ds
    if LEAD_DIM not in ds[name].dims:
        return np.ones((len(positions), 1), dtype=bool)
    leads = ds[LEAD_DIM].values.astype("timedelta64[ns]")
    limits = np.full(len(positions), np.timedelta64(np.iinfo(np.int64).max, "ns"))
    if EXPECTED in ds.coords:
        limits = _known(ds[EXPECTED].values[positions], limits)
    if extent == "ingested" and INGESTED in ds.coords:
        limits = _known(ds[INGESTED].values[positions], limits)
    mask = leads[None, :] <= limits[:, None]
    if name in target.no_hour_0_variables:
        mask &= leads[None, :] > np.timedelta64(0, "ns")
    return mask


def _known(values: np.ndarray, otherwise: np.ndarray) -> np.ndarray:
    values = values.astype("timedelta64[ns]")
    return np.where(np.isnat(values), otherwise, values)


@dataclass(frozen=True)
class Presence:
    """Per position: how many expected values were read and how many of them hold data."""

    expected: np.ndarray
    present: np.ndarray

    @property
    def nan_fraction(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.expected > 0, 1 - self.present / np.maximum(self.expected, 1), 0.0)

    @property
    def present_fraction(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.expected > 0, self.present / np.maximum(self.expected, 1), np.nan)


def scan_presence(
    target: ValidationTarget, name: str, positions: np.ndarray, sample: SpatialSample, extent: Extent
) -> Presence:
    """Read the sampled boxes at `positions` (indices) in blocks of bounded size; count present expected values."""
    var = target.ds[name]
    append_dim = target.append_dim
    boxes = sample_boxes(var, sample)
    box_values = sum(math.prod(stop - start for start, stop in _box_extent(var, box)) for box in boxes)
    per_position = box_values * math.prod(var.sizes[d] for d in var.dims[1:-2]) * var.dtype.itemsize
    block = max(1, BLOCK_BYTES // max(per_position, 1))
    expected = np.zeros(len(positions), dtype=np.int64)
    present = np.zeros(len(positions), dtype=np.int64)
    for start in range(0, len(positions), block):
        chunk_positions = positions[start : start + block]
        mask = lead_mask(target, name, chunk_positions, extent)
        for box in boxes:
            values = var.isel({append_dim: chunk_positions, **box})
            ordered = values.transpose(append_dim, *([LEAD_DIM] if LEAD_DIM in var.dims else []), ...).values
            data = ordered.reshape(len(chunk_positions), mask.shape[1], -1)
            expected[start : start + block] += mask.sum(axis=1) * data.shape[2]
            present[start : start + block] += (~np.isnan(data) & mask[:, :, None]).sum(axis=(1, 2))
    return Presence(expected=expected, present=present)


def _box_extent(var: xr.DataArray, box: dict[str, slice]) -> list[tuple[int, int]]:
    return [box[d].indices(var.sizes[d])[:2] for d in box]
