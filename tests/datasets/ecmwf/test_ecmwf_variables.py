from datasets.common.config_models import float32_encoding
from datasets.common.timestamps import timedelta, timestamp
from datasets.ecmwf.ecmwf_variables import EcmwfVariables, IndexParamOverride

VARIABLES = EcmwfVariables(encoding=float32_encoding((1, 2), (1, 2)))
INIT = timestamp("2024-04-01T00:00")


def test_the_index_param_is_the_short_name_unless_overridden_for_some_lead_times() -> None:
    gust = VARIABLES.var(
        name="wind_gust_10m", long_name="Gust", short_name="10fg", units="m s-1", step_type="max",
        values_at_lead_0=False,
        index_param_overrides=(IndexParamOverride(first=timedelta("93h"), last=timedelta("144h"), param="10fg3"),),
    )  # fmt: skip
    attrs = gust.internal_attrs
    assert [attrs.index_param_at(timedelta(f"{h}h")) for h in (90, 93, 144, 150)] == ["10fg", "10fg3", "10fg3", "10fg"]
    assert not attrs.available(INIT, timedelta(0))
    assert attrs.available(INIT, timedelta("3h"))


def test_running_totals_become_rates_that_never_restart() -> None:
    precipitation = VARIABLES.var(name="precipitation_surface", long_name="Total precipitation", short_name="tp",
                                  units="kg m-2 s-1", step_type="avg", running_total=True,
                                  unit_conversion="metres_of_water_to_kg_m2")  # fmt: skip
    attrs = precipitation.internal_attrs
    assert (attrs.deaccumulate_to_rate, attrs.window_reset_hours, attrs.index_param) == (True, None, "tp")
    assert attrs.unit_conversion == "metres_of_water_to_kg_m2"
