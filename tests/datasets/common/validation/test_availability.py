import numpy as np

from datasets.common.timestamps import timedelta
from datasets.common.validation import SpatialSample, availability
from tests.support.validation import NO_HOUR_0, forecast, target_of


def test_fraction_present_per_variable_and_position_over_the_full_extent() -> None:
    ds = forecast(inits=3)
    ds["temperature_2m"].values[1, 2] = np.nan
    ds["temperature_2m"].values[2, :, :2, :4] = np.nan
    ds["ingested_forecast_length"].values[0] = timedelta("3h").to_timedelta64()
    ds[NO_HOUR_0].values[0, 2] = np.nan  # a truncated forecast counts as missing here
    result = availability(target_of(ds), SpatialSample(chunks=None))
    assert result.positions == ("2024-01-01T00:00:00", "2024-01-01T06:00:00", "2024-01-01T12:00:00")
    assert result.fraction_present == {"temperature_2m": (1.0, 0.6667, 0.75), NO_HOUR_0: (0.5, 1.0, 1.0)}
    assert result.model_dump()["append_dim"] == "init_time"
