from collections.abc import Sequence

import pandas as pd

from datasets.common.config_models import Coordinate, float32_encoding
from datasets.common.forecast_coordinates import (
    NCEP_EARTH_RADIUS_M,
    GlobalQuarterDegreeGrid,
    sphere_spatial_ref_coordinate,
)
from datasets.common.template_layouts import ForecastTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.ecmwf.ecmwf_variables import EcmwfDataVar, EcmwfVariables, IndexParamOverride

ENSEMBLE_MEMBERS = 51
# Lossy packing of running totals of order 1e8 J m-2 leaves differences of a few W m-2 below zero.
RADIATION_NEGATIVE_RATE_TOLERANCE = -5.0

IFS_ENS = EcmwfVariables(
    encoding=float32_encoding((1, 85, ENSEMBLE_MEMBERS, 32, 32), (1, 85, ENSEMBLE_MEMBERS, 320, 320))
)
RUNNING_TOTAL_COMMENT = "Average over the time since the previous lead time, from running totals since the init time."
PRECIPITATION_TYPES = {
    0: "no_precipitation", 1: "rain", 3: "freezing_rain", 5: "snow", 6: "wet_snow", 7: "mixture_of_rain_and_snow",
    8: "ice_pellets", 12: "freezing_drizzle",
}  # fmt: skip

IFS_ENS_DATA_VARS: tuple[EcmwfDataVar, ...] = (
    IFS_ENS.var(name="pressure_surface", long_name="Surface pressure", short_name="sp", units="Pa",
                standard_name="surface_air_pressure", keep_mantissa_bits=10),
    IFS_ENS.var(name="temperature_2m", long_name="2 metre temperature", short_name="2t", units="degree_Celsius",
                standard_name="air_temperature", unit_conversion="kelvin_to_celsius"),
    IFS_ENS.var(name="dew_point_temperature_2m", long_name="2 metre dewpoint temperature", short_name="2d",
                units="degree_Celsius", standard_name="dew_point_temperature", unit_conversion="kelvin_to_celsius"),
    IFS_ENS.var(name="wind_u_10m", long_name="10 metre U wind component", short_name="10u", units="m s-1",
                standard_name="eastward_wind", keep_mantissa_bits=6),
    IFS_ENS.var(name="wind_v_10m", long_name="10 metre V wind component", short_name="10v", units="m s-1",
                standard_name="northward_wind", keep_mantissa_bits=6),
    IFS_ENS.var(name="wind_u_100m", long_name="100 metre U wind component", short_name="100u", units="m s-1",
                standard_name="eastward_wind", keep_mantissa_bits=6),
    IFS_ENS.var(name="wind_v_100m", long_name="100 metre V wind component", short_name="100v", units="m s-1",
                standard_name="northward_wind", keep_mantissa_bits=6),
    IFS_ENS.var(name="wind_gust_10m", long_name="Maximum 10 metre wind gust since previous post-processing",
                short_name="10fg", units="m s-1", step_type="max", standard_name="wind_speed_of_gust",
                comment="Maximum since the previous lead time. No value at lead time 0.", keep_mantissa_bits=6,
                values_at_lead_0=False,
                index_param_overrides=(IndexParamOverride(first=timedelta("93h"), last=timedelta("144h"),
                                                          param="10fg3"),)),
    IFS_ENS.var(name="precipitation_surface", long_name="Total precipitation", short_name="tp", units="kg m-2 s-1",
                step_type="avg", standard_name="precipitation_flux", values_at_lead_0=False, running_total=True,
                unit_conversion="metres_of_water_to_kg_m2",
                comment=f"{RUNNING_TOTAL_COMMENT} Published in metres of water (1 m = 1000 kg m-2). "
                "No value at lead time 0."),
    IFS_ENS.var(name="categorical_precipitation_type_surface", long_name="Precipitation type", short_name="ptype",
                units="1", flags=PRECIPITATION_TYPES, keep_mantissa_bits="no-rounding",
                available_from=timestamp("2024-11-13T00:00"),
                comment="Published from the 2024-11-13 00 UTC run on; missing before."),
    IFS_ENS.var(name="downward_short_wave_radiation_flux_surface",
                long_name="Surface short-wave (solar) radiation downwards", short_name="ssrd", units="W m-2",
                step_type="avg", standard_name="surface_downwelling_shortwave_flux_in_air",
                comment=f"{RUNNING_TOTAL_COMMENT} No value at lead time 0.", values_at_lead_0=False,
                running_total=True, negative_rate_tolerance=RADIATION_NEGATIVE_RATE_TOLERANCE),
    IFS_ENS.var(name="downward_long_wave_radiation_flux_surface",
                long_name="Surface long-wave (thermal) radiation downwards", short_name="strd", units="W m-2",
                step_type="avg", standard_name="surface_downwelling_longwave_flux_in_air",
                comment=f"{RUNNING_TOTAL_COMMENT} No value at lead time 0.", values_at_lead_0=False,
                running_total=True, negative_rate_tolerance=RADIATION_NEGATIVE_RATE_TOLERANCE),
    IFS_ENS.var(name="pressure_reduced_to_mean_sea_level", long_name="Mean sea level pressure", short_name="msl",
                units="Pa", standard_name="air_pressure_at_mean_sea_level", keep_mantissa_bits=10),
    IFS_ENS.var(name="total_cloud_cover_atmosphere", long_name="Total cloud cover", short_name="tcc",
                units="percent", standard_name="cloud_area_fraction", unit_conversion="fraction_to_percent",
                comment="Published as a fraction (0-1); stored in percent."),
    IFS_ENS.var(name="geopotential_height_500hpa", long_name="Geopotential height", short_name="gh", units="m",
                standard_name="geopotential_height", levtype="pl", levelist="500", keep_mantissa_bits=10),
    IFS_ENS.var(name="geopotential_height_850hpa", long_name="Geopotential height", short_name="gh", units="m",
                standard_name="geopotential_height", levtype="pl", levelist="850", keep_mantissa_bits=10),
    IFS_ENS.var(name="geopotential_height_925hpa", long_name="Geopotential height", short_name="gh", units="m",
                standard_name="geopotential_height", levtype="pl", levelist="925", keep_mantissa_bits=10),
    IFS_ENS.var(name="temperature_850hpa", long_name="Temperature", short_name="t", units="degree_Celsius",
                standard_name="air_temperature", levtype="pl", levelist="850", unit_conversion="kelvin_to_celsius"),
    IFS_ENS.var(name="temperature_925hpa", long_name="Temperature", short_name="t", units="degree_Celsius",
                standard_name="air_temperature", levtype="pl", levelist="925", unit_conversion="kelvin_to_celsius"),
)  # fmt: skip


def ifs_ens_lead_times() -> pd.TimedeltaIndex:
    hours = [*range(0, 145, 3), *range(150, 361, 6)]
    return pd.TimedeltaIndex(pd.to_timedelta(hours, unit="h"), name="lead_time")


class EcmwfIfsEnsForecast15Day025DegreeTemplateConfig(GlobalQuarterDegreeGrid, ForecastTemplateConfig[EcmwfDataVar]):
    dims: tuple[str, ...] = ("init_time", "lead_time", "ensemble_member", "latitude", "longitude")
    append_dim_start: pd.Timestamp = timestamp("2024-04-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("24h")
    forecast_length: pd.Timedelta = timedelta("360h")
    ensemble_members: int = ENSEMBLE_MEMBERS
    ensemble_member_comment: str = "0 is the control forecast (type cf); 1 to 50 are the perturbed members (type pf)."

    def lead_times(self) -> pd.TimedeltaIndex:
        return ifs_ens_lead_times()

    def spatial_ref(self) -> Coordinate:
        return sphere_spatial_ref_coordinate(
            NCEP_EARTH_RADIUS_M, "as the source encodes it (GRIB2 shape of the earth 6)"
        )

    @property
    def data_vars(self) -> Sequence[EcmwfDataVar]:
        return IFS_ENS_DATA_VARS
