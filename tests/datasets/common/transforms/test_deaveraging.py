import numpy as np
import pytest

from datasets.common.transforms.deaveraging import deaverage_to_interval_means_inplace

HOURS = np.array([0, 1, 2, 5], dtype="timedelta64[h]")


def averages_since_start(interval_means: list[float]) -> list[float]:
    """The running average over [0, lead] of piecewise-constant interval means on HOURS."""
    seconds = HOURS.astype("timedelta64[s]").astype(float)
    totals = np.cumsum([0.0, *(m * d for m, d in zip(interval_means, np.diff(seconds), strict=True))])
    return [np.nan, *(totals[1:] / seconds[1:])]


def test_recovers_interval_means_along_any_axis() -> None:
    means = [100.0, 300.0, 40.0]
    series = np.array(averages_since_start(means), dtype=np.float32)
    values = np.stack([series, series * 2])  # lead time on axis 1

    deaverage_to_interval_means_inplace(values, HOURS, axis=1)

    np.testing.assert_allclose(values[0], [np.nan, *means], rtol=1e-6)
    np.testing.assert_allclose(values[1], [np.nan, *(2 * m for m in means)], rtol=1e-6)
    assert values.dtype == np.float32


def test_lead_0_is_not_needed_and_missing_averages_spread_to_their_intervals() -> None:
    series = np.array(averages_since_start([100.0, 300.0, 40.0]), dtype=np.float32)
    series[0] = 12345.0  # whatever lead 0 holds is ignored
    series[2] = np.nan

    deaverage_to_interval_means_inplace(series, HOURS, axis=0)

    assert np.isnan(series[0])
    assert series[1] == pytest.approx(100.0)
    assert np.isnan(series[2:]).all()


def test_negative_means_are_kept() -> None:
    series = np.array(averages_since_start([-50.0, -80.0, 10.0]), dtype=np.float32)
    deaverage_to_interval_means_inplace(series, HOURS, axis=0)
    np.testing.assert_allclose(series[1:], [-50.0, -80.0, 10.0], rtol=1e-6)


def test_rejects_unordered_lead_times() -> None:
    with pytest.raises(AssertionError, match="increase"):
        deaverage_to_interval_means_inplace(np.zeros(3, dtype=np.float32), HOURS[[0, 2, 1]], axis=0)
