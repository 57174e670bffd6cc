import numpy as np

# Rates slightly below zero come from packing error in the source accumulations; anything lower is bad data.
NEGATIVE_RATE_TOLERANCE = -7e-5


def _step_seconds(steps: np.ndarray, values: np.ndarray, axis: int) -> np.ndarray:
    seconds = np.asarray(steps).astype("timedelta64[s]").astype(np.int64)
    assert seconds.shape == (values.shape[axis],), "one step per position along axis"
    assert (np.diff(seconds) > 0).all(), "steps must increase"
    return seconds


def _reset_seconds(reset_frequency: np.timedelta64 | None, seconds: np.ndarray) -> int:
    """The reset period in seconds; windows that never restart reset after the last step."""
    if reset_frequency is None:
        assert seconds.size == 0 or seconds[0] >= 0, "steps of windows since step 0 must not be negative"
        return int(seconds[-1]) + 1 if seconds.size else 1
    reset_seconds = int(np.timedelta64(reset_frequency, "s").astype(np.int64))
    assert reset_seconds > 0, "reset_frequency must be positive"
    return reset_seconds


def deaccumulate_to_rates_inplace(
    values: np.ndarray,
    steps: np.ndarray,
    reset_frequency: np.timedelta64 | None,
    axis: int,
    negative_tolerance: float = NEGATIVE_RATE_TOLERANCE,
) -> int:
    """Turn accumulations along `axis` into average rates per second since the previous step, in place.

    An accumulation window restarts at every step that is a multiple of `reset_frequency` (None: only at step 0,
    running totals), so the step right after such a step starts from zero. The first step has no predecessor and
    becomes NaN. Rates in [negative_tolerance, 0) become 0; lower ones become NaN and are counted. Returns that
    count.
    """
    assert np.issubdtype(values.dtype, np.floating), f"expected floats, got {values.dtype}"
    seconds = _step_seconds(steps, values, axis)
    starts_window = seconds % _reset_seconds(reset_frequency, seconds) == 0

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
    values: np.ndarray, steps: np.ndarray, reset_frequency: np.timedelta64 | None, axis: int
) -> None:
    """Turn averages over windows that start at the latest reset into averages since the previous step, in place.

    A window restarts after every step that is a multiple of `reset_frequency` (None: only at step 0, averages
    since the start); a step right after a reset already is the average over its own interval. Otherwise the
    step's average is (A_t * (t - w) - A_prev * (prev - w)) / (t - prev) for the window start w, computed in
    float64. The first step has no predecessor and becomes NaN; a missing (NaN) average makes the steps it
    bounds NaN.
    """
    assert np.issubdtype(values.dtype, np.floating), f"expected floats, got {values.dtype}"
    seconds = _step_seconds(steps, values, axis)
    reset_seconds = _reset_seconds(reset_frequency, seconds)

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
