from collections.abc import Sequence

import pandas as pd

from datasets.common.config_models import DataVar, float32_encoding
from datasets.common.forecast_coordinates import NCEP_EARTH_RADIUS_M
from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.sources.grib import LambertParameters
from datasets.common.template_layouts import ForecastTemplateConfig, LambertConformalGridTemplate
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.noaa_variables import NoaaInternalAttrs, NoaaVariables

# The HRRR CONUS grid: 3 km Lambert conformal, first point at the south-west corner.
HRRR_GRID = LambertConformalGrid(
    nx=1799,
    ny=1059,
    first_latitude=21.138123,
    first_longitude=237.280472,
    projection=LambertParameters(
        lad=38.5, lov=262.5, latin1=38.5, latin2=38.5, dx=3000.0, dy=3000.0, earth_radius=NCEP_EARTH_RADIUS_M
    ),
)
FORECAST_LENGTH = timedelta("48h")
GRID_RELATIVE_WIND = "Relative to the grid's x and y axes (as published), not to east and north."
RATE_COMMENT = (
    "Average rate over the hour before the valid time (the source accumulates over each hour). No value at lead time 0."
)

type HrrrDataVar = DataVar[NoaaInternalAttrs]


HRRR = NoaaVariables(
    encoding=float32_encoding((1, 49, 265, 300), (1, 49, 1060, 1800)),
    window_reset_hours=1,
    window_comments={"acc": RATE_COMMENT},
)

HRRR_DATA_VARS: tuple[HrrrDataVar, ...] = (
    HRRR.var(name="composite_reflectivity", long_name="Maximum/Composite radar reflectivity", short_name="refc",
             units="dBZ", element="REFC", level="entire atmosphere"),
    HRRR.var(name="temperature_2m", long_name="2 metre temperature", short_name="2t", units="degree_Celsius",
             standard_name="air_temperature", element="TMP", level="2 m above ground",
             unit_conversion="kelvin_to_celsius"),
    HRRR.var(name="dew_point_temperature_2m", long_name="2 metre dewpoint temperature", short_name="2d",
             units="degree_Celsius", standard_name="dew_point_temperature", element="DPT", level="2 m above ground",
             unit_conversion="kelvin_to_celsius"),
    HRRR.var(name="relative_humidity_2m", long_name="2 metre relative humidity", short_name="2r", units="percent",
             standard_name="relative_humidity", element="RH", level="2 m above ground"),
    HRRR.var(name="wind_u_10m", long_name="10 metre U wind component", short_name="10u", units="m s-1",
             standard_name="x_wind", comment=GRID_RELATIVE_WIND, element="UGRD", level="10 m above ground",
             keep_mantissa_bits=6),
    HRRR.var(name="wind_v_10m", long_name="10 metre V wind component", short_name="10v", units="m s-1",
             standard_name="y_wind", comment=GRID_RELATIVE_WIND, element="VGRD", level="10 m above ground",
             keep_mantissa_bits=6),
    HRRR.var(name="wind_u_80m", long_name="U component of wind", short_name="u", units="m s-1",
             standard_name="x_wind", comment=GRID_RELATIVE_WIND, element="UGRD", level="80 m above ground",
             keep_mantissa_bits=6),
    HRRR.var(name="wind_v_80m", long_name="V component of wind", short_name="v", units="m s-1",
             standard_name="y_wind", comment=GRID_RELATIVE_WIND, element="VGRD", level="80 m above ground",
             keep_mantissa_bits=6),
    HRRR.var(name="wind_gust_surface", long_name="Wind speed (gust)", short_name="gust", units="m s-1",
             standard_name="wind_speed_of_gust", element="GUST", level="surface", keep_mantissa_bits=6),
    HRRR.var(name="pressure_surface", long_name="Surface pressure", short_name="sp", units="Pa",
             standard_name="surface_air_pressure", element="PRES", level="surface", keep_mantissa_bits=10),
    HRRR.var(name="pressure_reduced_to_mean_sea_level", long_name="MSLP (MAPS System Reduction)",
             short_name="mslma", units="Pa", standard_name="air_pressure_at_mean_sea_level",
             comment="The MAPS reduction (MSLMA); files that lack it publish PRMSL, which is used instead.",
             element="MSLMA", level="mean sea level", alternative_elements=("PRMSL",), keep_mantissa_bits=10),
    HRRR.var(name="percent_frozen_precipitation_surface", long_name="Percent frozen precipitation",
             short_name="cpofp", units="percent", element="CPOFP", level="surface",
             comment="Negative values (typically -50) mean no precipitation is falling; they are kept as published."),
    HRRR.var(name="precipitation_surface", long_name="Precipitation rate", short_name="prate", units="kg m-2 s-1",
             standard_name="precipitation_flux", element="APCP", level="surface", window="acc"),
    HRRR.categorical(name="categorical_snow_surface", long_name="Categorical snow", short_name="csnow",
                     element="CSNOW", kind="snow"),
    HRRR.categorical(name="categorical_ice_pellets_surface", long_name="Categorical ice pellets", short_name="cicep",
                     element="CICEP", kind="ice_pellets"),
    HRRR.categorical(name="categorical_freezing_rain_surface", long_name="Categorical freezing rain",
                     short_name="cfrzr", element="CFRZR", kind="freezing_rain"),
    HRRR.categorical(name="categorical_rain_surface", long_name="Categorical rain", short_name="crain",
                     element="CRAIN", kind="rain"),
    HRRR.var(name="precipitable_water_atmosphere", long_name="Precipitable water", short_name="pwat", units="kg m-2",
             standard_name="atmosphere_mass_content_of_water_vapor", element="PWAT",
             level="entire atmosphere (considered as a single layer)"),
    HRRR.var(name="total_cloud_cover_atmosphere", long_name="Total Cloud Cover", short_name="tcc", units="percent",
             standard_name="cloud_area_fraction", element="TCDC", level="entire atmosphere"),
    HRRR.var(name="geopotential_height_cloud_ceiling", long_name="Geopotential height", short_name="gh", units="m",
             element="HGT", level="cloud ceiling", comment="Values around 20000 m mean there is no cloud ceiling."),
    HRRR.var(name="downward_short_wave_radiation_flux_surface",
             long_name="Surface downward short-wave radiation flux", short_name="sdswrf", units="W m-2",
             standard_name="surface_downwelling_shortwave_flux_in_air", element="DSWRF", level="surface"),
    HRRR.var(name="downward_long_wave_radiation_flux_surface", long_name="Surface downward long-wave radiation flux",
             short_name="sdlwrf", units="W m-2", standard_name="surface_downwelling_longwave_flux_in_air",
             element="DLWRF", level="surface"),
    HRRR.var(name="snow_depth_surface", long_name="Snow depth", short_name="sde", units="m",
             standard_name="surface_snow_thickness", element="SNOD", level="surface"),
    HRRR.var(name="snow_cover_surface", long_name="Snow cover", short_name="snowc", units="percent",
             standard_name="surface_snow_area_fraction", element="SNOWC", level="surface"),
    HRRR.var(name="snow_water_equivalent_surface", long_name="Water equivalent of accumulated snow depth",
             short_name="sdwe", units="kg m-2", standard_name="surface_snow_amount", element="WEASD",
             level="surface"),
    HRRR.var(name="snowfall_surface", long_name="Snowfall rate water equivalent", short_name="srweq",
             units="kg m-2 s-1", standard_name="snowfall_flux", element="WEASD", level="surface", window="acc"),
)  # fmt: skip


class NoaaHrrrForecast48HourTemplateConfig(
    ForecastTemplateConfig[HrrrDataVar], LambertConformalGridTemplate[HrrrDataVar]
):
    dims: tuple[str, ...] = ("init_time", "lead_time", "y", "x")
    append_dim_start: pd.Timestamp = timestamp("2018-07-13T12:00")
    append_dim_frequency: pd.Timedelta = timedelta("6h")
    forecast_length: pd.Timedelta = FORECAST_LENGTH
    grid: LambertConformalGrid = HRRR_GRID

    def lead_times(self) -> pd.TimedeltaIndex:
        return pd.timedelta_range("0h", FORECAST_LENGTH, freq="1h", name="lead_time")

    @property
    def data_vars(self) -> Sequence[HrrrDataVar]:
        return HRRR_DATA_VARS
