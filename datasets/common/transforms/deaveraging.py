import numpy as np


def deaverage_to_interval_means_inplace(values: np.ndarray, lead_times: np.ndarray, axis: int) -> None:
    """Turn averages over [0, lead] along `axis` into averages over [previous lead, lead], in place.

    mean(t_prev, t) = (A_t * t - A_prev * t_prev) / (t - t_prev), computed in float64; after lead 0 the
    average since the start is already the interval mean (lead 0's own value is not needed). The first step
    has no interval and becomes NaN. Any missing (NaN) average makes the intervals it bounds NaN.
    """
    assert np.issubdtype(values.dtype, np.floating), f"expected floats, got {values.dtype}"
    lead_times = np.asarray(lead_times).astype("timedelta64[s]")
    assert lead_times.shape == (values.shape[axis],), "one lead time per step along axis"
    seconds = lead_times.astype(np.int64)
    assert (np.diff(seconds) > 0).all(), "lead times must increase"
    assert seconds.size == 0 or seconds[0] >= 0, "lead times must not be negative"

    moved = np.moveaxis(values, axis, 0)
    for i in range(moved.shape[0] - 1, 0, -1):
        t, t_previous = seconds[i], seconds[i - 1]
        if t_previous == 0:
            continue
        total = moved[i].astype(np.float64) * t - moved[i - 1].astype(np.float64) * t_previous
        moved[i] = total / (t - t_previous)
    if moved.shape[0]:
        moved[0] = np.nan
