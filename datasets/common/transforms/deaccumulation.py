import numpy as np

# Rates slightly below zero come from packing error in the source accumulations; anything lower is bad data.
NEGATIVE_RATE_TOLERANCE = -7e-5


def deaccumulate_to_rates_inplace(
    values: np.ndarray,
    lead_times: np.ndarray,
    reset_frequency: np.timedelta64,
    axis: int,
    negative_tolerance: float = NEGATIVE_RATE_TOLERANCE,
) -> int:
    """Turn accumulations along `axis` into average rates per second since the previous step, in place.

    An accumulation window restarts at every lead time that is a multiple of `reset_frequency`, so the step
    right after such a lead time starts from zero. The first step has no predecessor and becomes NaN.
    Rates in [negative_tolerance, 0) become 0; lower ones become NaN and are counted. Returns that count.
    """
    assert np.issubdtype(values.dtype, np.floating), f"expected floats, got {values.dtype}"
    lead_times = np.asarray(lead_times).astype("timedelta64[s]")
    assert lead_times.shape == (values.shape[axis],), "one lead time per step along axis"
    seconds = lead_times.astype(np.int64)
    assert (np.diff(seconds) > 0).all(), "lead times must increase"
    reset_seconds = int(np.timedelta64(reset_frequency, "s").astype(np.int64))
    assert reset_seconds > 0, "reset_frequency must be positive"
    starts_window = seconds % reset_seconds == 0

    moved = np.moveaxis(values, axis, 0)
    invalid = 0
    for i in range(moved.shape[0] - 1, 0, -1):
        step = moved[i : i + 1]
        if not starts_window[i - 1]:
            step -= moved[i - 1 : i]
        step /= seconds[i] - seconds[i - 1]
        with np.errstate(invalid="ignore"):
            negative = step < 0
            too_negative = step < negative_tolerance
        invalid += int(too_negative.sum())
        step[negative] = 0
        step[too_negative] = np.nan
    if moved.shape[0]:
        moved[0] = np.nan
    return invalid


def window_averages_to_step_averages_inplace(
    values: np.ndarray, steps: np.ndarray, reset_frequency: np.timedelta64, axis: int
) -> None:
    """Turn averages over windows that start at the latest reset into averages since the previous step, in place.

    A window restarts after every step that is a multiple of `reset_frequency`; a step right after a reset
    already is the average over its own interval. Otherwise the step's average is
    (A_t * (t - w) - A_prev * (prev - w)) / (t - prev) for the window start w, computed in float64.
    The first step has no predecessor and becomes NaN.
    """
    assert np.issubdtype(values.dtype, np.floating), f"expected floats, got {values.dtype}"
    seconds = np.asarray(steps).astype("timedelta64[s]").astype(np.int64)
    assert seconds.shape == (values.shape[axis],), "one step per position along axis"
    assert (np.diff(seconds) > 0).all(), "steps must increase"
    reset_seconds = int(np.timedelta64(reset_frequency, "s").astype(np.int64))
    assert reset_seconds > 0, "reset_frequency must be positive"

    moved = np.moveaxis(values, axis, 0)
    for i in range(moved.shape[0] - 1, 0, -1):
        previous_seconds = seconds[i - 1]
        if previous_seconds % reset_seconds == 0:
            continue
        window_start = previous_seconds - previous_seconds % reset_seconds
        assert seconds[i] - window_start <= reset_seconds, "a step may not span a reset"
        total = moved[i].astype(np.float64) * (seconds[i] - window_start)
        total -= moved[i - 1].astype(np.float64) * (previous_seconds - window_start)
        moved[i] = total / (seconds[i] - previous_seconds)
    if moved.shape[0]:
        moved[0] = np.nan
