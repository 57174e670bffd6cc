import pytest

from datasets.common.config_models import float32_encoding
from datasets.dwd.dwd_variables import DwdInternalAttrs, DwdStatistic, DwdVariables

VARIABLES = DwdVariables(
    encoding=float32_encoding((1, 2), (1, 2)), statistic_comments={"average_since_init": "Interval means."}
)


@pytest.mark.parametrize(
    ("statistic", "step_type", "deaccumulate", "deaverage"),
    [
        (None, "instant", False, False),
        ("accumulation_since_init", "avg", True, False),
        ("average_since_init", "avg", False, True),
        ("maximum_since_previous_output", "max", False, False),
    ],
)
def test_the_statistic_decides_the_step_type_and_the_transforms(
    statistic: DwdStatistic | None, step_type: str, deaccumulate: bool, deaverage: bool
) -> None:
    var = VARIABLES.var(name="x_surface", long_name="X", short_name="x", units="1", dwd_param="x",
                        grib_parameter=(0, 0, 0), grib_level="surface", statistic=statistic)  # fmt: skip
    assert var.attrs.step_type == step_type
    assert (var.internal_attrs.deaccumulate_to_rate, var.internal_attrs.deaverage) == (deaccumulate, deaverage)
    assert var.internal_attrs.window_reset_hours is None
    assert var.attrs.comment == ("Interval means." if deaverage else None)


def test_attrs_that_contradict_their_statistic_are_refused() -> None:
    with pytest.raises(ValueError, match="totals deaccumulate"):
        DwdInternalAttrs(keep_mantissa_bits=7, dwd_param="tot_prec", grib_parameter=(0, 1, 52), grib_level="surface",
                         statistic="accumulation_since_init")  # fmt: skip
