import numpy as np
import pandas as pd
import pytest
import xarray as xr

from datasets.common.config_models import BaseInternalAttrs
from datasets.common.transforms.chain import DEACCUMULATION_INVALID, apply_transforms
from datasets.common.transforms.rounding import round_float32_inplace

LEADS = pd.to_timedelta([0, 1, 2, 6, 7], unit="h")


def along_lead_time(values: list[float]) -> xr.DataArray:
    data = np.array([values, values], dtype=np.float32).T  # (lead_time, x)
    return xr.DataArray(data, coords={"lead_time": LEADS}, dims=("lead_time", "x"))


def test_only_rounding_by_default() -> None:
    array = along_lead_time([1.1, 2.2, 3.3, 4.4, 5.5])
    expected = round_float32_inplace(array.values.copy(), 3)
    assert apply_transforms(array, BaseInternalAttrs(keep_mantissa_bits=3), "lead_time") == {}
    np.testing.assert_array_equal(array.values, expected)


def test_units_are_converted_before_rounding() -> None:
    array = along_lead_time([273.15, 283.15, 0.0, 1.0, 2.0])
    attrs = BaseInternalAttrs(keep_mantissa_bits=23, unit_conversion="kelvin_to_celsius")
    apply_transforms(array, attrs, "lead_time")
    np.testing.assert_array_equal(array.values[:2, 0], [0.0, np.float32(283.15) - np.float32(273.15)])
    fraction = along_lead_time([0.5, 0.25, 1.0, 0.0, 0.125])
    apply_transforms(fraction, BaseInternalAttrs(keep_mantissa_bits=23, unit_conversion="fraction_to_percent"), "x")
    np.testing.assert_array_equal(fraction.values[:, 0], [50.0, 25.0, 100.0, 0.0, 12.5])


def test_accumulations_become_rates_with_windows_restarting_as_declared() -> None:
    # 1 mm/h throughout: running totals since the init, or restarting every 6 h
    since_init = along_lead_time([0, 3600, 7200, 6 * 3600, 7 * 3600])
    counters = apply_transforms(
        since_init, BaseInternalAttrs(keep_mantissa_bits=23, deaccumulate_to_rate=True), "lead_time"
    )
    np.testing.assert_array_equal(since_init.values[:, 0], [np.nan, 1, 1, 1, 1])
    assert counters == {DEACCUMULATION_INVALID: 0}
    six_hourly = along_lead_time([0, 3600, 7200, 6 * 3600, 3600])
    attrs = BaseInternalAttrs(keep_mantissa_bits=23, deaccumulate_to_rate=True, window_reset_hours=6)
    apply_transforms(six_hourly, attrs, "lead_time")
    np.testing.assert_array_equal(six_hourly.values[:, 0], [np.nan, 1, 1, 1, 1])


def test_too_negative_rates_are_counted_below_the_declared_tolerance() -> None:
    totals = along_lead_time([0, 3600, 3600 - 0.5 * 3600, 0, 0])
    attrs = BaseInternalAttrs(keep_mantissa_bits=23, deaccumulate_to_rate=True, negative_rate_tolerance=-1.0)
    assert apply_transforms(totals.copy(), attrs, "lead_time") == {DEACCUMULATION_INVALID: 0}
    strict = attrs.model_copy(update={"negative_rate_tolerance": -0.1})
    assert apply_transforms(totals, strict, "lead_time") == {DEACCUMULATION_INVALID: 2 * 2}  # two steps, two columns


def test_a_time_series_restarts_its_windows_at_multiples_of_the_reset_since_the_epoch() -> None:
    times = pd.date_range("2024-01-01T04:00", periods=4, freq="1h")  # 04, 05, 06 (a reset), 07
    averages = xr.DataArray(np.array([2.0, 3.0, 4.0, 8.0], dtype=np.float32), coords={"time": times}, dims="time")
    attrs = BaseInternalAttrs(keep_mantissa_bits=23, deaverage=True, window_reset_hours=6)
    assert apply_transforms(averages, attrs, "time") == {}
    # the 00-05 window averaged 3 after 2 over 00-04: 7 in the last hour; 00-06 averaged 4: 9; 06-07 is its own
    np.testing.assert_allclose(averages.values, [np.nan, 7.0, 9.0, 8.0])


def test_deaccumulate_or_deaverage_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        BaseInternalAttrs(keep_mantissa_bits=7, deaccumulate_to_rate=True, deaverage=True)


def test_skipped_steps_are_left_out_of_deaccumulation_then_interpolated_unless_told_not_to() -> None:
    # totals of 6-hour windows (1 then 2 mm/h) at 06 and 12 UTC, the 3-hourly times between them skipped
    times = pd.date_range("2020-06-01T00:00", periods=5, freq="3h")  # 00, 03, 06, 09, 12
    skipped = np.array([False, True, False, True, False])
    attrs = BaseInternalAttrs(keep_mantissa_bits=23, deaccumulate_to_rate=True, window_reset_hours=6)
    for interpolate, between in ((True, 1.5 / 3600), (False, np.nan)):
        totals = np.array([0.0, np.nan, 6.0, np.nan, 12.0], dtype=np.float32)
        array = xr.DataArray(totals, coords={"time": times}, dims="time")
        apply_transforms(array, attrs, "time", skipped, interpolate)
        np.testing.assert_allclose(array.values, [np.nan, np.nan, 1 / 3600, between, 2 / 3600], rtol=1e-6)
