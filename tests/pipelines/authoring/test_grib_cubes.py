import numpy as np
import pandas as pd
import pytest

from pipelines.authoring.grib_cubes import CubeVariable, plain
from pipelines.authoring.grib_fields import GribField


def field(**keys: str) -> GribField:
    base = {"shortName": "t", "typeOfLevel": "isobaricInhPa", "level": "500", "stepType": "instant", "stepRange": "6"}
    return GribField(
        label="1", message=1, sub_message=None, offset=0, length=1, edition=2, keys=base | keys, grid=None,
        wgrib2=None, idx_line=None, idx_agrees=None,
    )  # fmt: skip


VARIABLE = CubeVariable(
    name="t",
    dims=("isobaricInhPa", "latitude", "longitude"),
    shape=(2, 1, 1),
    attrs={"GRIB_shortName": "t", "GRIB_typeOfLevel": "isobaricInhPa", "GRIB_stepType": "instant"},
    levels=(500.0, 850.0),
    steps_hours=(6.0,),
)


@pytest.mark.parametrize(
    ("keys", "held"),
    [
        ({}, True),
        ({"level": "850"}, True),
        ({"level": "700"}, False),
        ({"shortName": "u"}, False),
        ({"typeOfLevel": "heightAboveGround"}, False),
        ({"stepType": "max", "stepRange": "0-6"}, False),
        ({"stepRange": "12"}, False),
    ],
)
def test_a_variable_holds_fields_of_its_parameter_level_and_step(keys: dict[str, str], held: bool) -> None:
    assert VARIABLE.holds(field(**keys)) is held


def test_a_window_is_held_at_its_end_step() -> None:
    variable = VARIABLE.model_copy(update={"attrs": VARIABLE.attrs | {"GRIB_stepType": "max"}})
    assert variable.holds(field(stepType="max", stepRange="0-6"))


def test_plain_values() -> None:
    assert plain(np.float32(1.5)) == 1.5
    assert plain(np.datetime64("2024-01-01T06:00")) == "2024-01-01T06:00:00"
    assert plain(pd.Timedelta("90min")) == "1.5h"
    assert plain(np.timedelta64(6, "h")) == "6h"
    assert plain([1, 2]) == "[1, 2]"
    assert plain(None) is None
