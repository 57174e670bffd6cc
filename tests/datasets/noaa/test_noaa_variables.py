import numpy as np
import pytest

from datasets.common.config_models import float32_encoding
from datasets.common.sources.noaa_idx import WindowKind
from datasets.noaa.noaa_variables import NoaaVariables

VARIABLES = NoaaVariables(
    encoding=float32_encoding((1, 2, 3), (1, 2, 3)), window_reset_hours=6, window_comments={"acc": "Rate."}
)


def test_a_window_sets_the_step_type_the_reset_and_the_transforms() -> None:
    rate = VARIABLES.var(name="precipitation_surface", long_name="Precipitation rate", short_name="prate",
                         units="kg m-2 s-1", element="APCP", level="surface", window="acc")  # fmt: skip
    assert (rate.attrs.step_type, rate.attrs.comment) == ("avg", "Rate.")
    attrs = rate.internal_attrs
    assert (attrs.window_kind, attrs.window_reset_hours, attrs.deaccumulate_to_rate) == ("acc", 6, True)
    assert rate.encoding == VARIABLES.encoding
    instant = VARIABLES.var(name="temperature_2m", long_name="2 metre temperature", short_name="2t",
                            units="degree_Celsius", comment="As published.", element="TMP",
                            level="2 m above ground", unit_conversion="kelvin_to_celsius")  # fmt: skip
    assert (instant.attrs.step_type, instant.attrs.comment) == ("instant", "As published.")
    assert instant.internal_attrs.window_reset_hours is None
    assert instant.internal_attrs.unit_conversion == "kelvin_to_celsius"
    assert instant.internal_attrs.keep_mantissa_bits == 7


def test_a_step_type_contradicting_the_window_is_refused() -> None:
    with pytest.raises(AssertionError, match="max window"):
        VARIABLES.var(name="maximum_temperature_2m", long_name="Maximum temperature", short_name="tmax", units="K",
                      step_type="instant", element="TMAX", level="2 m above ground", window="max")  # fmt: skip


@pytest.mark.parametrize(("window", "when"), [(None, "falls at the valid time"), ("ave", "occurred at any time")])
def test_categorical_fields_are_flags_kept_unrounded(window: WindowKind | None, when: str) -> None:
    snow = VARIABLES.categorical(
        name="categorical_snow_surface", long_name="Categorical snow", short_name="csnow", element="CSNOW",
        kind="freezing_rain", window=window,
    )  # fmt: skip
    assert (snow.attrs.flag_values, snow.attrs.flag_meanings) == ((0, 1), "no_freezing_rain freezing_rain")
    assert snow.attrs.units == "1"
    assert snow.attrs.comment is not None
    assert snow.attrs.comment.startswith(f"1 where freezing rain {when}")
    assert snow.internal_attrs.keep_mantissa_bits == "no-rounding"
    assert snow.internal_attrs.grib_index_level == "surface"
    assert np.isnan(snow.encoding.fill_value)
