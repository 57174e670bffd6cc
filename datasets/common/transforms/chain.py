"""A variable's transform chain: what its internal attrs declare, applied by every region job before writing.

In this order: unit conversion; along the job's step dim (lead_time, or time for an analysis) accumulations to
rates or window averages to step averages, over the positions a source has (`skipped` ones, which no source has by
design, are left out), then linear interpolation of the skipped positions from their neighbours (unless the
variable is categorical); mantissa rounding.
"""

from collections.abc import Mapping

import numpy as np
import xarray as xr

from datasets.common.config_models import BaseInternalAttrs
from datasets.common.transforms.deaccumulation import (
    deaccumulate_to_rates_inplace,
    window_averages_to_step_averages_inplace,
)
from datasets.common.transforms.interpolation import linear_interpolate_inplace
from datasets.common.transforms.rounding import round_for_storage
from datasets.common.transforms.units import convert_units_inplace

# Counter of rates set to NaN because they were too negative (see deaccumulate_to_rates_inplace).
DEACCUMULATION_INVALID = "deaccumulation_invalid_values"
EPOCH = np.datetime64(0, "s")


def apply_transforms(
    data_array: xr.DataArray,
    internal_attrs: BaseInternalAttrs,
    step_dim: str,
    skipped: np.ndarray | None = None,
    interpolate: bool = True,
) -> Mapping[str, int]:
    """Transform `data_array` in place as `internal_attrs` declares; return counters worth reporting. `skipped`
    flags the positions along `step_dim` that no source has (NaN on entry): interpolated if `interpolate`."""
    values = data_array.values
    counters = {}
    if internal_attrs.unit_conversion is not None:
        convert_units_inplace(values, internal_attrs.unit_conversion)
    axis = data_array.get_axis_num(step_dim)
    assert isinstance(axis, int)
    steps = data_array[step_dim].values
    if np.issubdtype(steps.dtype, np.datetime64):
        steps = steps - EPOCH  # windows of a time series restart at multiples of the reset since the epoch
    skipped = np.zeros(values.shape[axis], dtype=bool) if skipped is None else skipped
    if internal_attrs.deaccumulate_to_rate or internal_attrs.deaverage:
        if skipped.any():  # along the positions a source has, copied a slab at a time (bounded memory)
            kept = np.flatnonzero(~skipped)
            moved = np.moveaxis(values, axis, 0)
            slabs = [(slice(None),)] if moved.ndim == 1 else [(slice(None), j) for j in range(moved.shape[1])]
            for slab in slabs:
                subset = moved[slab][kept]
                for key, count in _step_transforms(subset, steps[kept], internal_attrs, 0).items():
                    counters[key] = counters.get(key, 0) + count
                moved[slab][kept] = subset
        else:
            counters = _step_transforms(values, steps, internal_attrs, axis)
    if interpolate and skipped.any():
        linear_interpolate_inplace(values, steps, skipped, axis)
    round_for_storage(values, internal_attrs)
    return counters


def _step_transforms(
    values: np.ndarray, steps: np.ndarray, internal_attrs: BaseInternalAttrs, axis: int
) -> dict[str, int]:
    counters = {}
    reset = (
        None if internal_attrs.window_reset_hours is None else np.timedelta64(internal_attrs.window_reset_hours, "h")
    )
    if internal_attrs.deaccumulate_to_rate:
        counters[DEACCUMULATION_INVALID] = deaccumulate_to_rates_inplace(
            values, steps, reset, axis, internal_attrs.negative_rate_tolerance
        )
    else:
        window_averages_to_step_averages_inplace(values, steps, reset, axis)
    return counters
