"""Bilinear regridding between global regular latitude/longitude grids."""

import numpy as np

# Positions closer than this to a source point (in grid steps) are that point: it keeps its exact value.
COINCIDENT_TOLERANCE = 1e-9


def axis_weights(
    source: np.ndarray, target: np.ndarray, period: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each target coordinate: the source index at or below it, the next index, and the next one's weight."""
    ascending = source[-1] > source[0]
    src = source if ascending else -source
    tgt = target if ascending else -target
    assert (np.diff(src) > 0).all(), "source coordinates must be strictly monotonic"
    if period is not None:
        src = np.append(src, src[0] + period)
        tgt = src[0] + np.mod(tgt - src[0], period)
    assert ((tgt >= src[0] - COINCIDENT_TOLERANCE) & (tgt <= src[-1] + COINCIDENT_TOLERANCE)).all(), (
        "target coordinates outside the source grid"
    )
    lower = np.clip(np.searchsorted(src, tgt, side="right") - 1, 0, len(src) - 2)
    weight = (tgt - src[lower]) / (src[lower + 1] - src[lower])
    weight[np.abs(weight) < COINCIDENT_TOLERANCE] = 0.0
    at_upper = np.abs(weight - 1) < COINCIDENT_TOLERANCE
    lower[at_upper] += 1
    weight[at_upper] = 0.0
    upper = np.minimum(lower + 1, len(src) - 1)
    if period is not None:
        lower, upper = lower % len(source), upper % len(source)
    return lower, upper, weight


def _interpolate(values: np.ndarray, lower: np.ndarray, upper: np.ndarray, weight: np.ndarray, axis: int) -> np.ndarray:
    low = np.take(values, lower, axis=axis)
    high = np.take(values, upper, axis=axis)
    shape = [1] * values.ndim
    shape[axis] = len(weight)
    w = weight.reshape(shape)
    return np.where(w == 0, low, low * (1 - w) + high * w)


def regrid_bilinear(
    values: np.ndarray,
    source_latitudes: np.ndarray,
    source_longitudes: np.ndarray,
    latitudes: np.ndarray,
    longitudes: np.ndarray,
) -> np.ndarray:
    """Bilinear interpolation of a global (latitude, longitude) field to the target coordinates, as float32.

    Longitude is periodic (360 degrees). Target points that coincide with source points keep the exact source
    value; the others are weighted means of their 2 or 4 neighbours (NaN if a neighbour with weight is NaN).
    """
    assert values.shape == (len(source_latitudes), len(source_longitudes)), "values must be (latitude, longitude)"
    lat_lower, lat_upper, lat_weight = axis_weights(
        np.asarray(source_latitudes, np.float64), np.asarray(latitudes, np.float64), None
    )
    lon_lower, lon_upper, lon_weight = axis_weights(
        np.asarray(source_longitudes, np.float64), np.asarray(longitudes, np.float64), 360.0
    )
    rows = _interpolate(values.astype(np.float64), lat_lower, lat_upper, lat_weight, axis=0)
    return _interpolate(rows, lon_lower, lon_upper, lon_weight, axis=1).astype(np.float32)
