from collections.abc import Sequence

import pandas as pd

from datasets.common.config_models import float32_encoding
from datasets.common.template_layouts import ForecastTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.ecmwf.ecmwf_grid import EcmwfQuarterDegreeGrid
from datasets.ecmwf.ecmwf_parameters import RUNNING_TOTAL_COMMENT
from datasets.ecmwf.ecmwf_variables import EcmwfDataVar, EcmwfVariables, IndexParamOverride

ENSEMBLE_MEMBERS = 51

IFS_ENS = EcmwfVariables(
    encoding=float32_encoding((1, 85, ENSEMBLE_MEMBERS, 32, 32), (1, 85, ENSEMBLE_MEMBERS, 320, 320))
)
PRECIPITATION_TYPES = {
    0: "no_precipitation", 1: "rain", 3: "freezing_rain", 5: "snow", 6: "wet_snow", 7: "mixture_of_rain_and_snow",
    8: "ice_pellets", 12: "freezing_drizzle",
}  # fmt: skip

IFS_ENS_DATA_VARS: tuple[EcmwfDataVar, ...] = (
    *(IFS_ENS.standard(name) for name in (
        "pressure_surface", "temperature_2m", "dew_point_temperature_2m", "wind_u_10m", "wind_v_10m", "wind_u_100m",
        "wind_v_100m")),
    IFS_ENS.var(name="wind_gust_10m", long_name="Maximum 10 metre wind gust since previous post-processing",
                short_name="10fg", units="m s-1", step_type="max", standard_name="wind_speed_of_gust",
                comment="Maximum since the previous lead time. No value at lead time 0.", keep_mantissa_bits=6,
                values_at_lead_0=False,
                index_param_overrides=(IndexParamOverride(first=timedelta("93h"), last=timedelta("144h"),
                                                          param="10fg3"),)),
    IFS_ENS.standard("precipitation_surface", unit_conversion="metres_of_water_to_kg_m2",
                     comment=f"{RUNNING_TOTAL_COMMENT} Published in metres of water (1 m = 1000 kg m-2). "
                     "No value at lead time 0."),
    IFS_ENS.var(name="categorical_precipitation_type_surface", long_name="Precipitation type", short_name="ptype",
                units="1", flags=PRECIPITATION_TYPES, keep_mantissa_bits="no-rounding",
                available_from=timestamp("2024-11-13T00:00"),
                comment="Published from the 2024-11-13 00 UTC run on; missing before."),
    *(IFS_ENS.standard(name) for name in (
        "downward_short_wave_radiation_flux_surface", "downward_long_wave_radiation_flux_surface",
        "pressure_reduced_to_mean_sea_level")),
    IFS_ENS.standard("total_cloud_cover_atmosphere", unit_conversion="fraction_to_percent",
                     comment="Published as a fraction (0-1); stored in percent."),
    *(IFS_ENS.standard(name) for name in (
        "geopotential_height_500hpa", "geopotential_height_850hpa", "geopotential_height_925hpa",
        "temperature_850hpa", "temperature_925hpa")),
)  # fmt: skip


def ifs_ens_lead_times() -> pd.TimedeltaIndex:
    hours = [*range(0, 145, 3), *range(150, 361, 6)]
    return pd.TimedeltaIndex(pd.to_timedelta(hours, unit="h"), name="lead_time")


class EcmwfIfsEnsForecast15Day025DegreeTemplateConfig(EcmwfQuarterDegreeGrid, ForecastTemplateConfig[EcmwfDataVar]):
    dims: tuple[str, ...] = ("init_time", "lead_time", "ensemble_member", "latitude", "longitude")
    append_dim_start: pd.Timestamp = timestamp("2024-04-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("24h")
    forecast_length: pd.Timedelta = timedelta("360h")
    ensemble_members: int = ENSEMBLE_MEMBERS
    ensemble_member_comment: str = "0 is the control forecast (type cf); 1 to 50 are the perturbed members (type pf)."

    def lead_times(self) -> pd.TimedeltaIndex:
        return ifs_ens_lead_times()

    @property
    def data_vars(self) -> Sequence[EcmwfDataVar]:
        return IFS_ENS_DATA_VARS
