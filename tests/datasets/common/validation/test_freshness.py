import numpy as np
import pytest
from pydantic import ValidationError

from datasets.common.timestamps import timedelta
from datasets.common.validation import CheckCurrentData
from tests.support.validation import START, forecast, target_of

NEWEST = START + 5 * timedelta("6h")  # forecast() has six inits
CHECK = CheckCurrentData(max_delay=timedelta("5h48min"))


def test_passes_when_the_due_position_is_published() -> None:
    [result] = CHECK.run(target_of(forecast(), now=NEWEST + timedelta("11h47min")))
    assert result.passed, result.message


def test_fails_on_stale_data_and_names_the_due_position() -> None:
    [result] = CHECK.run(target_of(forecast(), now=NEWEST + timedelta("11h48min")))
    assert not result.passed
    assert result.positions == ("2024-01-02T12:00:00",)
    assert "newest init_time is 2024-01-02T06:00:00" in result.message
    assert "was due by 2024-01-02T17:48:00" in result.message


def test_nothing_due_before_the_dataset_starts() -> None:
    [result] = CHECK.run(target_of(forecast(), now=START + timedelta("5h")))
    assert result.passed
    assert "nothing due yet" in result.message


def test_fails_when_the_due_position_has_no_ingested_data() -> None:
    ds = forecast()
    ds["ingested_forecast_length"].values[-1] = np.timedelta64("NaT", "ns")
    [result] = CHECK.run(target_of(ds, now=NEWEST + timedelta("6h")))
    assert not result.passed
    assert "ingested_forecast_length is missing" in result.message


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        CheckCurrentData(max_delay=timedelta("1h"), max_dealy=timedelta("2h"))  # ty: ignore[unknown-argument]
