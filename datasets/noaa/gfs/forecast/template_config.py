from collections.abc import Sequence

import pandas as pd

from datasets.common.config_models import DataVar, float32_encoding
from datasets.common.forecast_coordinates import GlobalQuarterDegreeGrid
from datasets.common.sources.noaa_idx import WindowKind
from datasets.common.template_layouts import ForecastTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.noaa_variables import NoaaInternalAttrs, NoaaVariables

type GfsDataVar = DataVar[NoaaInternalAttrs]

WINDOW_COMMENT: dict[WindowKind, str] = {
    "ave": "Average over the window that ends at the valid time and starts at the previous 6-hourly reset "
    "(lead times that are multiples of 6 h start a new window). No value at lead time 0.",
    "max": "Maximum over the window that ends at the valid time and starts at the previous 6-hourly reset. "
    "No value at lead time 0.",
    "min": "Minimum over the window that ends at the valid time and starts at the previous 6-hourly reset. "
    "No value at lead time 0.",
    "acc": "Average rate since the previous lead time, derived from accumulations that reset every 6 h. "
    "No value at lead time 0.",
}


GFS = NoaaVariables(
    encoding=float32_encoding((1, 105, 121, 121), (1, 210, 726, 726)),
    window_reset_hours=6,
    window_comments=WINDOW_COMMENT,
)

GFS_DATA_VARS: tuple[GfsDataVar, ...] = (
    GFS.var(name="pressure_surface", long_name="Surface pressure", short_name="sp", units="Pa",
            standard_name="surface_air_pressure", element="PRES", level="surface", keep_mantissa_bits=10),
    GFS.var(name="temperature_2m", long_name="2 metre temperature", short_name="2t", units="degree_Celsius",
            standard_name="air_temperature", element="TMP", level="2 m above ground",
            unit_conversion="kelvin_to_celsius"),
    GFS.var(name="relative_humidity_2m", long_name="2 metre relative humidity", short_name="2r", units="percent",
            standard_name="relative_humidity", element="RH", level="2 m above ground"),
    GFS.var(name="maximum_temperature_2m", long_name="Maximum temperature", short_name="tmax", units="degree_Celsius",
            standard_name="air_temperature", element="TMAX", level="2 m above ground", window="max",
            unit_conversion="kelvin_to_celsius"),
    GFS.var(name="minimum_temperature_2m", long_name="Minimum temperature", short_name="tmin", units="degree_Celsius",
            standard_name="air_temperature", element="TMIN", level="2 m above ground", window="min",
            unit_conversion="kelvin_to_celsius"),
    GFS.var(name="wind_u_10m", long_name="10 metre U wind component", short_name="10u", units="m s-1",
            standard_name="eastward_wind", element="UGRD", level="10 m above ground", keep_mantissa_bits=6),
    GFS.var(name="wind_v_10m", long_name="10 metre V wind component", short_name="10v", units="m s-1",
            standard_name="northward_wind", element="VGRD", level="10 m above ground", keep_mantissa_bits=6),
    GFS.var(name="wind_u_100m", long_name="100 metre U wind component", short_name="100u", units="m s-1",
            standard_name="eastward_wind", element="UGRD", level="100 m above ground", keep_mantissa_bits=6),
    GFS.var(name="wind_v_100m", long_name="100 metre V wind component", short_name="100v", units="m s-1",
            standard_name="northward_wind", element="VGRD", level="100 m above ground", keep_mantissa_bits=6),
    GFS.var(name="temperature_80m", long_name="Temperature", short_name="t", units="degree_Celsius",
            standard_name="air_temperature", element="TMP", level="80 m above ground",
            unit_conversion="kelvin_to_celsius"),
    GFS.var(name="pressure_80m", long_name="Pressure", short_name="pres", units="Pa", standard_name="air_pressure",
            element="PRES", level="80 m above ground", keep_mantissa_bits=10),
    GFS.var(name="wind_u_80m", long_name="U component of wind", short_name="u", units="m s-1",
            standard_name="eastward_wind", element="UGRD", level="80 m above ground", keep_mantissa_bits=6),
    GFS.var(name="wind_v_80m", long_name="V component of wind", short_name="v", units="m s-1",
            standard_name="northward_wind", element="VGRD", level="80 m above ground", keep_mantissa_bits=6),
    GFS.var(name="percent_frozen_precipitation_surface", long_name="Percent frozen precipitation", short_name="cpofp",
            units="percent", element="CPOFP", level="surface",
            comment="Negative values (typically -50) mean no precipitation is falling; they are kept as published."),
    GFS.var(name="precipitation_surface", long_name="Precipitation rate", short_name="prate", units="kg m-2 s-1",
            standard_name="precipitation_flux", element="APCP", level="surface", window="acc"),
    GFS.categorical(name="categorical_snow_surface", long_name="Categorical snow", short_name="csnow",
                    element="CSNOW", kind="snow", window="ave"),
    GFS.categorical(name="categorical_ice_pellets_surface", long_name="Categorical ice pellets", short_name="cicep",
                    element="CICEP", kind="ice_pellets", window="ave"),
    GFS.categorical(name="categorical_freezing_rain_surface", long_name="Categorical freezing rain",
                    short_name="cfrzr", element="CFRZR", kind="freezing_rain", window="ave"),
    GFS.categorical(name="categorical_rain_surface", long_name="Categorical rain", short_name="crain",
                    element="CRAIN", kind="rain", window="ave"),
    GFS.var(name="precipitable_water_atmosphere", long_name="Precipitable water", short_name="pwat", units="kg m-2",
            standard_name="atmosphere_mass_content_of_water_vapor", element="PWAT",
            level="entire atmosphere (considered as a single layer)"),
    GFS.var(name="total_cloud_cover_atmosphere", long_name="Total Cloud Cover", short_name="tcc", units="percent",
            standard_name="cloud_area_fraction", element="TCDC", level="entire atmosphere", window="ave"),
    GFS.var(name="geopotential_height_cloud_ceiling", long_name="Geopotential height", short_name="gh", units="m",
            element="HGT", level="cloud ceiling", comment="Values around 20000 m mean there is no cloud ceiling."),
    GFS.var(name="downward_short_wave_radiation_flux_surface", long_name="Surface downward short-wave radiation flux",
            short_name="sdswrf", units="W m-2", standard_name="surface_downwelling_shortwave_flux_in_air",
            element="DSWRF", level="surface", window="ave"),
    GFS.var(name="downward_long_wave_radiation_flux_surface", long_name="Surface downward long-wave radiation flux",
            short_name="sdlwrf", units="W m-2", standard_name="surface_downwelling_longwave_flux_in_air",
            element="DLWRF", level="surface", window="ave"),
    GFS.var(name="pressure_reduced_to_mean_sea_level", long_name="Pressure reduced to MSL", short_name="prmsl",
            units="Pa", standard_name="air_pressure_at_mean_sea_level", element="PRMSL", level="mean sea level",
            keep_mantissa_bits=10),
)  # fmt: skip


def gfs_lead_times() -> pd.TimedeltaIndex:
    hours = [*range(121), *range(123, 385, 3)]
    return pd.TimedeltaIndex(pd.to_timedelta(hours, unit="h"), name="lead_time")


class NoaaGfsForecastTemplateConfig(GlobalQuarterDegreeGrid, ForecastTemplateConfig[GfsDataVar]):
    append_dim_start: pd.Timestamp = timestamp("2021-05-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("6h")
    forecast_length: pd.Timedelta = timedelta("384h")

    def lead_times(self) -> pd.TimedeltaIndex:
        return gfs_lead_times()

    @property
    def data_vars(self) -> Sequence[GfsDataVar]:
        return GFS_DATA_VARS
