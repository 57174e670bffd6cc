from datasets.common.dynamical_dataset import scheduled_validators
from datasets.common.timestamps import timedelta
from datasets.common.validation import (
    CheckCurrentData,
    CheckExpectedShards,
    CheckHoles,
    CheckRecentNans,
    CheckReplicaMatchesPrimary,
)


def test_scheduled_validators_check_holes_only_when_asked() -> None:
    without_holes = scheduled_validators(timedelta("2h"))
    assert [type(v) for v in without_holes] == [
        CheckCurrentData,
        CheckRecentNans,
        CheckExpectedShards,
        CheckReplicaMatchesPrimary,
    ]
    current, recent_nans = without_holes[:2]
    assert current == CheckCurrentData(max_delay=timedelta("2h"))
    assert recent_nans == CheckRecentNans(window=2, max_nan_fraction=0.001)

    every_variable = scheduled_validators(timedelta("2h"), nan_window=6, max_nan_fraction=0.0, hole_variables=())
    assert every_variable[1] == CheckRecentNans(window=6)
    assert every_variable[3] == CheckHoles()
    some = scheduled_validators(timedelta("2h"), hole_variables=("temperature_2m",))
    assert some[3] == CheckHoles(variables=("temperature_2m",))
