import numpy as np
import pytest
from pydantic import ValidationError

from datasets.common.timestamps import timedelta
from datasets.common.validation import CheckHoles, CheckRecentNans, SpatialSample
from datasets.common.validation.sampling import sample_boxes
from tests.support.validation import NO_HOUR_0, forecast, target_of

EVERYTHING = SpatialSample(chunks=None)


def by_variable(results: list) -> dict:
    return {r.variable: r for r in results}


def test_recent_nans_pass_on_complete_data_with_lead_0_of_windowed_variables_excluded() -> None:
    results = CheckRecentNans(window=2, sample=EVERYTHING).run(target_of(forecast()))
    assert [r.passed for r in results] == [True, True], [r.message for r in results]


def test_lead_0_counts_for_variables_that_have_an_hour_0_value() -> None:
    results = by_variable(CheckRecentNans(sample=EVERYTHING).run(target_of(forecast(), no_hour_0=())))
    assert not results[NO_HOUR_0].passed
    assert "33.3%" in results[NO_HOUR_0].message


def test_recent_nans_fail_on_an_injected_hole_in_the_newest_position() -> None:
    ds = forecast()
    ds["temperature_2m"].values[-1, 1] = np.nan  # one lead time of the newest init
    results = by_variable(CheckRecentNans(window=2, sample=EVERYTHING).run(target_of(ds)))
    assert results[NO_HOUR_0].passed
    failed = results["temperature_2m"]
    assert not failed.passed
    assert failed.positions == ("2024-01-02T06:00:00",)
    assert "33.3% (limit 0.0%)" in failed.message


def test_tiers_allow_more_nans_in_the_newest_positions() -> None:
    ds = forecast()
    ds["temperature_2m"].values[-1, 2] = np.nan
    check = CheckRecentNans(window=3, tiers=(0.5,), variables=("temperature_2m",), sample=EVERYTHING)
    [result] = check.run(target_of(ds))
    assert result.passed, result.message
    ds["temperature_2m"].values[-2, 2] = np.nan  # the second newest falls under max_nan_fraction = 0
    [result] = check.run(target_of(ds))
    assert not result.passed
    assert result.positions == ("2024-01-02T00:00:00",)


def test_only_lead_times_up_to_the_ingested_length_are_expected() -> None:
    ds = forecast()
    ds["temperature_2m"].values[-1, 2] = np.nan
    ds["ingested_forecast_length"].values[-1] = timedelta("3h").to_timedelta64()
    [result] = CheckRecentNans(variables=("temperature_2m",), sample=EVERYTHING).run(target_of(ds))
    assert result.passed, result.message


def test_a_spatial_sample_reads_only_the_sampled_chunks() -> None:
    ds = forecast()
    ds["temperature_2m"].values[-1, :, :2, :4] = np.nan  # exactly one of the four spatial chunks
    whole = CheckRecentNans(variables=("temperature_2m",), sample=EVERYTHING)
    [result] = whole.run(target_of(ds))
    assert "25.0%" in result.message
    outcomes = set()
    for seed in range(12):
        sample = SpatialSample(chunks=1, seed=seed)
        [result] = CheckRecentNans(variables=("temperature_2m",), sample=sample).run(target_of(ds))
        [box] = sample_boxes(target_of(ds).ds["temperature_2m"], sample)
        reads_the_hole = box == {"latitude": slice(0, 2), "longitude": slice(0, 4)}
        assert result.passed != reads_the_hole
        outcomes.add(reads_the_hole)
    assert outcomes == {True, False}


def test_holes_are_found_anywhere_in_the_append_dim() -> None:
    ds = forecast(inits=8)
    ds["temperature_2m"].values[1, 2] = np.nan
    ds["temperature_2m"].values[4] = np.nan
    results = by_variable(CheckHoles(sample=EVERYTHING).run(target_of(ds)))
    assert not results["temperature_2m"].passed
    assert results["temperature_2m"].positions == ("2024-01-01T06:00:00", "2024-01-02T00:00:00")
    assert "2 of 8 positions missing data" in results["temperature_2m"].message
    assert results[NO_HOUR_0].passed
    assert results["ingested_forecast_length"].passed


def test_holes_pass_on_complete_data_and_the_default_sample_finds_whole_missing_fields() -> None:
    assert all(r.passed for r in CheckHoles().run(target_of(forecast())))
    ds = forecast()
    ds[NO_HOUR_0].values[3, 1] = np.nan  # a missing source file: the whole field is NaN
    results = by_variable(CheckHoles().run(target_of(ds)))
    assert results[NO_HOUR_0].positions == ("2024-01-01T18:00:00",)


def test_holes_list_short_forecasts_except_the_newest() -> None:
    ds = forecast()
    ingested = ds["ingested_forecast_length"].values
    ingested[1] = np.timedelta64("NaT", "ns")
    ingested[2] = timedelta("3h").to_timedelta64()
    ingested[-1] = timedelta("3h").to_timedelta64()
    ds["temperature_2m"].values[1] = np.nan
    results = by_variable(CheckHoles(sample=EVERYTHING).run(target_of(ds)))
    short = results["ingested_forecast_length"]
    assert not short.passed
    assert short.positions == ("2024-01-01T06:00:00", "2024-01-01T12:00:00")
    assert results["temperature_2m"].positions == ("2024-01-01T06:00:00",)


def test_max_nan_fraction_tolerates_scattered_nans() -> None:
    ds = forecast()
    ds["temperature_2m"].values[2, 1, 0, 0] = np.nan
    check = CheckHoles(variables=("temperature_2m",), sample=EVERYTHING)
    assert not check.run(target_of(ds))[0].passed
    assert check.model_copy(update={"max_nan_fraction": 0.02}).run(target_of(ds))[0].passed


def test_nan_check_settings_are_validated() -> None:
    with pytest.raises(ValidationError):
        CheckRecentNans(window=0)
    with pytest.raises(ValidationError):
        CheckHoles(max_nan_fraction=1.5)
    with pytest.raises(ValidationError, match="Extra inputs"):
        CheckHoles(variable=("x",))  # ty: ignore[unknown-argument]
    with pytest.raises(AssertionError, match="unknown variables"):
        CheckHoles(variables=("snow",)).run(target_of(forecast()))
