from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from datasets.common.transforms.deaccumulation import (
    NEGATIVE_RATE_TOLERANCE,
    deaccumulate_to_rates_inplace,
    window_averages_to_step_averages_inplace,
)

SIX_HOURS = np.timedelta64(6, "h")
GFS_LEADS_HOURS = [*range(121), *range(123, 385, 3)]


def hours(values: list[int]) -> np.ndarray:
    return np.array(values, dtype="timedelta64[h]")


def accumulate(rates: np.ndarray, lead_hours: list[int], reset_hours: int) -> np.ndarray:
    """The forward model: running totals of rate x duration that restart at every multiple of reset_hours."""
    totals = np.zeros_like(rates)
    for i in range(1, len(lead_hours)):
        previous = 0.0 if lead_hours[i - 1] % reset_hours == 0 else totals[i - 1]
        totals[i] = previous + rates[i] * (lead_hours[i] - lead_hours[i - 1]) * 3600
    return totals


def test_windows_reset_after_multiples_of_the_reset_frequency() -> None:
    leads = [0, 1, 2, 6, 7, 117, 120, 123, 126, 129]
    accumulations = np.array([np.nan, 3.6, 7.2, 9.0, 1.8, 2.0, 5.0, 10.8, 14.4, 3.6], dtype=np.float32)

    invalid = deaccumulate_to_rates_inplace(accumulations, hours(leads), SIX_HOURS, axis=0)

    hour = 3600
    expected = [np.nan, 3.6 / hour, 3.6 / hour, 1.8 / (4 * hour), 1.8 / hour, 0.2 / (110 * hour), 3.0 / (3 * hour)]
    expected += [10.8 / (3 * hour), 3.6 / (3 * hour), 3.6 / (3 * hour)]
    np.testing.assert_allclose(accumulations, np.array(expected, dtype=np.float32), rtol=1e-5)
    assert invalid == 0


def test_first_step_is_nan_even_with_a_value() -> None:
    values = np.array([5.0, 6.0], dtype=np.float32)
    deaccumulate_to_rates_inplace(values, hours([3, 4]), SIX_HOURS, axis=0)
    assert np.isnan(values[0])
    assert values[1] == pytest.approx(1 / 3600)


def test_small_negative_rates_clamp_to_zero_and_large_ones_become_nan_and_are_counted() -> None:
    small_drop = -0.5 * NEGATIVE_RATE_TOLERANCE * 3600  # a rate of +tolerance/2 below zero
    values = np.array([[0, 10.0, 10.0 - small_drop, 1.0], [0, 10.0, 5.0, 4.0]], dtype=np.float32)

    invalid = deaccumulate_to_rates_inplace(values, hours([0, 1, 2, 3]), SIX_HOURS, axis=1)

    assert invalid == 3
    np.testing.assert_array_equal(np.isnan(values), [[True, False, False, True], [True, False, True, True]])
    assert values[0, 2] == 0
    assert values[0, 1] == pytest.approx(10 / 3600)


def test_missing_predecessor_gives_nan_unless_the_window_restarted() -> None:
    values = np.array([np.nan, 1.0, np.nan, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=np.float32)
    deaccumulate_to_rates_inplace(values, hours([0, 1, 2, 3, 4, 5, 6, 7]), SIX_HOURS, axis=0)
    assert np.isnan(values[[0, 2, 3]]).all()
    assert values[7] == pytest.approx(6 / 3600)
    assert values[1] == pytest.approx(1 / 3600)


@settings(max_examples=60, deadline=None)
@given(
    rates=hnp.arrays(
        np.float64,
        (len(GFS_LEADS_HOURS), 3),
        elements=st.floats(0, 0.02, allow_nan=False, allow_subnormal=False),
    ),
)
def test_round_trips_the_forward_model_on_gfs_lead_times(rates: np.ndarray) -> None:
    totals = np.stack([accumulate(rates[:, j], GFS_LEADS_HOURS, 6) for j in range(3)], axis=1)
    values = totals.astype(np.float32).T.copy()

    invalid = deaccumulate_to_rates_inplace(values, hours(GFS_LEADS_HOURS), SIX_HOURS, axis=1)

    assert invalid == 0
    assert np.isnan(values[:, 0]).all()
    # float32 accumulations carry a relative error of ~6e-8 of the running total into each difference
    np.testing.assert_allclose(values[:, 1:], rates[1:].T, rtol=0, atol=2e-6)


@settings(deadline=None)
@given(
    leads=st.lists(st.integers(0, 400), min_size=2, max_size=20, unique=True).map(sorted),
    reset_hours=st.sampled_from([1, 3, 6]),
    seed=st.integers(0, 2**32 - 1),
)
def test_never_yields_negative_rates(leads: list[int], reset_hours: int, seed: int) -> None:
    values = np.random.default_rng(seed).normal(size=len(leads)).astype(np.float32)

    invalid = deaccumulate_to_rates_inplace(values, hours(leads), np.timedelta64(reset_hours, "h"), axis=0)

    finite = values[np.isfinite(values)]
    assert (finite >= 0).all()
    assert invalid == np.isnan(values[1:]).sum()


def test_window_averages_become_averages_over_each_step() -> None:
    hourly = np.array([np.nan, 2.0, 4.0, 6.0, 1.0, 3.0, 5.0, 7.0, 9.0], dtype=np.float64)
    leads = list(range(9))
    # the published averages over windows that start at the latest multiple of 6 h before each lead
    windows = np.array(
        [np.nan, *(np.mean(hourly[1 + 6 * ((h - 1) // 6) : h + 1]) for h in leads[1:])], dtype=np.float32
    )

    window_averages_to_step_averages_inplace(windows, hours(leads), SIX_HOURS, axis=0)

    np.testing.assert_allclose(windows, hourly.astype(np.float32), rtol=1e-6)


def test_step_averages_along_an_inner_axis_and_uneven_steps() -> None:
    # 3-hourly steps after a 6-hourly reset: windows 120-123 and 120-126
    windows = np.array([[10.0, 4.0, 5.0]] * 2, dtype=np.float32)
    window_averages_to_step_averages_inplace(windows, hours([120, 123, 126]), SIX_HOURS, axis=1)
    np.testing.assert_array_equal(windows, [[np.nan, 4.0, 6.0]] * 2)


def test_running_totals_never_reset_after_step_0() -> None:
    totals = np.array([0.0, 3600.0, 3600.0 + 2 * 7200.0, 18000.0 + 1 * 10800.0], dtype=np.float32)
    invalid = deaccumulate_to_rates_inplace(totals, hours([0, 1, 3, 6]), None, axis=0)
    np.testing.assert_array_equal(totals, [np.nan, 1.0, 2.0, 1.0])
    assert invalid == 0


AVERAGE_HOURS = np.array([0, 1, 2, 5], dtype="timedelta64[h]")


def averages_since_start(interval_means: list[float]) -> list[float]:
    """The running average over [0, step] of piecewise-constant interval means on AVERAGE_HOURS."""
    seconds = AVERAGE_HOURS.astype("timedelta64[s]").astype(float)
    totals = np.cumsum([0.0, *(m * d for m, d in zip(interval_means, np.diff(seconds), strict=True))])
    return [np.nan, *(totals[1:] / seconds[1:])]


def test_averages_since_the_start_become_interval_means_along_any_axis() -> None:
    means = [100.0, 300.0, 40.0]
    series = np.array(averages_since_start(means), dtype=np.float32)
    values = np.stack([series, series * 2])  # steps on axis 1

    window_averages_to_step_averages_inplace(values, AVERAGE_HOURS, None, axis=1)

    np.testing.assert_allclose(values[0], [np.nan, *means], rtol=1e-6)
    np.testing.assert_allclose(values[1], [np.nan, *(2 * m for m in means)], rtol=1e-6)
    assert values.dtype == np.float32


def test_averages_since_the_start_ignore_step_0_and_spread_missing_values_to_their_intervals() -> None:
    series = np.array(averages_since_start([100.0, 300.0, 40.0]), dtype=np.float32)
    series[0] = 12345.0  # whatever step 0 holds is ignored
    series[2] = np.nan

    window_averages_to_step_averages_inplace(series, AVERAGE_HOURS, None, axis=0)

    assert np.isnan(series[0])
    assert series[1] == pytest.approx(100.0)
    assert np.isnan(series[2:]).all()


def test_negative_averages_are_kept() -> None:
    series = np.array(averages_since_start([-50.0, -80.0, 10.0]), dtype=np.float32)
    window_averages_to_step_averages_inplace(series, AVERAGE_HOURS, None, axis=0)
    np.testing.assert_allclose(series[1:], [-50.0, -80.0, 10.0], rtol=1e-6)


@pytest.mark.parametrize("transform", [deaccumulate_to_rates_inplace, window_averages_to_step_averages_inplace])
def test_rejects_unordered_steps(transform: Callable[..., object]) -> None:
    with pytest.raises(AssertionError, match="increase"):
        transform(np.zeros(3, dtype=np.float32), AVERAGE_HOURS[[0, 2, 1]], None, axis=0)
