"""DWD ICON-EU forecasts on DWD's regular 0.0625 degree European grid.

Facts (from DWD's open-data documentation of ICON-EU and the files under weather/nwp/icon-eu/grib/):
- Grid: regular lat/lon, 0.0625 degrees, latitude 29.5 to 70.5 ((70.5 - 29.5) / 0.0625 + 1 = 657 rows),
  longitude -23.5 to 62.5 ((62.5 + 23.5) / 0.0625 + 1 = 1377 columns). The files scan south to north and
  encode the first longitude as 336.5; stored here north to south, west to east. ICON's earth is a sphere of
  radius 6 371 229 m (GRIB shapeOfTheEarth 6).
- Runs every 3 hours. The 00, 06, 12 and 18 UTC runs reach 120 h: hourly to 78 h, then 3-hourly (93 lead
  times); the 03, 09, 15 and 21 UTC runs reach 30 h, hourly. `expected_forecast_length` records which.
- Totals (tot_prec) and means (asob_s, athb_s) run from the init time; the gust maximum (vmax_10m) covers the
  time since the previous output step.

Chunks (1, 93, 219, 230): every lead time of a 219 x 230 point tile, 18.7 MB raw, about 3-6 MB compressed after
rounding (compression ratio 3.3-6.5; the rule of thumb asks 2.5-6 MB). Shards (1, 93, 657, 1380): one init of the
whole grid (3 x 6 chunks, 337 MB raw; 657 = 3 x 219, and the last chunk column overhangs by 3 points).
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import Coordinate, float32_encoding
from datasets.common.forecast_coordinates import sphere_spatial_ref_coordinate
from datasets.common.template_config import CoordinateValues
from datasets.common.template_layouts import ForecastTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.dwd.dwd_variables import DwdDataVar, DwdStatistic, DwdVariables

EARTH_RADIUS_M = 6_371_229.0
RESOLUTION = 0.0625
SOUTH, NORTH, WEST, EAST = 29.5, 70.5, -23.5, 62.5
LONG_RUN_LENGTH = timedelta("120h")  # 00, 06, 12 and 18 UTC
SHORT_RUN_LENGTH = timedelta("30h")  # 03, 09, 15 and 21 UTC
CHUNKS = (1, 93, 219, 230)
SHARDS = (1, 93, 657, 1380)

STATISTIC_COMMENT: dict[DwdStatistic, str] = {
    "accumulation_since_init": "Average rate since the previous lead time, derived from DWD's totals since the "
    "init time. No value at lead time 0.",
    "average_since_init": "Average over the interval since the previous lead time, derived from DWD's averages "
    "since the init time. No value at lead time 0.",
    "maximum_since_previous_output": "Maximum over the interval since the previous lead time (1 h to 78 h, "
    "3 h after). No value at lead time 0.",
}


def forecast_length(init_times: pd.DatetimeIndex) -> np.ndarray:
    """120 h for the 00, 06, 12 and 18 UTC runs, 30 h for the others."""
    long_run = init_times.hour % 6 == 0
    return np.where(long_run, LONG_RUN_LENGTH.to_timedelta64(), SHORT_RUN_LENGTH.to_timedelta64()).astype(
        "timedelta64[ns]"
    )


def icon_eu_lead_times() -> pd.TimedeltaIndex:
    hours = [*range(79), *range(81, 121, 3)]
    return pd.TimedeltaIndex(pd.to_timedelta(hours, unit="h"), name="lead_time")


ICON_EU = DwdVariables(encoding=float32_encoding(CHUNKS, SHARDS), statistic_comments=STATISTIC_COMMENT)

ICON_EU_DATA_VARS: tuple[DwdDataVar, ...] = (
    ICON_EU.var(name="temperature_2m", long_name="2 metre temperature", short_name="2t", units="degree_Celsius",
                standard_name="air_temperature", dwd_param="t_2m", grib_parameter=(0, 0, 0),
                grib_level="2 m above ground", unit_conversion="kelvin_to_celsius"),
    ICON_EU.var(name="dew_point_temperature_2m", long_name="2 metre dewpoint temperature", short_name="2d",
                units="degree_Celsius", standard_name="dew_point_temperature", dwd_param="td_2m",
                grib_parameter=(0, 0, 6), grib_level="2 m above ground", unit_conversion="kelvin_to_celsius"),
    ICON_EU.var(name="relative_humidity_2m", long_name="2 metre relative humidity", short_name="2r", units="percent",
                standard_name="relative_humidity", dwd_param="relhum_2m", grib_parameter=(0, 1, 1),
                grib_level="2 m above ground"),
    ICON_EU.var(name="wind_u_10m", long_name="10 metre U wind component", short_name="10u", units="m s-1",
                standard_name="eastward_wind", dwd_param="u_10m", grib_parameter=(0, 2, 2),
                grib_level="10 m above ground", keep_mantissa_bits=6),
    ICON_EU.var(name="wind_v_10m", long_name="10 metre V wind component", short_name="10v", units="m s-1",
                standard_name="northward_wind", dwd_param="v_10m", grib_parameter=(0, 2, 3),
                grib_level="10 m above ground", keep_mantissa_bits=6),
    ICON_EU.var(name="wind_gust_10m", long_name="Maximum 10 metre wind gust since previous post-processing",
                short_name="10fg", units="m s-1", standard_name="wind_speed_of_gust", dwd_param="vmax_10m",
                grib_parameter=(0, 2, 22), grib_level="10 m above ground",
                statistic="maximum_since_previous_output", keep_mantissa_bits=6),
    ICON_EU.var(name="pressure_reduced_to_mean_sea_level", long_name="Mean sea level pressure", short_name="msl",
                units="Pa", standard_name="air_pressure_at_mean_sea_level", dwd_param="pmsl",
                grib_parameter=(0, 3, 1), grib_level="mean sea level", keep_mantissa_bits=10),
    ICON_EU.var(name="pressure_surface", long_name="Surface pressure", short_name="sp", units="Pa",
                standard_name="surface_air_pressure", dwd_param="ps", grib_parameter=(0, 3, 0), grib_level="surface",
                keep_mantissa_bits=10),
    ICON_EU.var(name="precipitation_surface", long_name="Total precipitation rate", short_name="tprate",
                units="kg m-2 s-1", standard_name="precipitation_flux", dwd_param="tot_prec",
                grib_parameter=(0, 1, 52), grib_level="surface", statistic="accumulation_since_init"),
    ICON_EU.var(name="total_cloud_cover_atmosphere", long_name="Total cloud cover", short_name="tcc",
                units="percent", standard_name="cloud_area_fraction", dwd_param="clct", grib_parameter=(0, 6, 1),
                grib_level="surface"),
    ICON_EU.var(name="net_short_wave_radiation_flux_surface", long_name="Mean surface net short-wave radiation flux",
                short_name="msnswrf", units="W m-2", standard_name="surface_net_downward_shortwave_flux",
                dwd_param="asob_s", grib_parameter=(0, 4, 9), grib_level="surface", statistic="average_since_init"),
    ICON_EU.var(name="net_long_wave_radiation_flux_surface", long_name="Mean surface net long-wave radiation flux",
                short_name="msnlwrf", units="W m-2", standard_name="surface_net_downward_longwave_flux",
                dwd_param="athb_s", grib_parameter=(0, 5, 5), grib_level="surface", statistic="average_since_init"),
)  # fmt: skip


class DwdIconEuForecastTemplateConfig(ForecastTemplateConfig[DwdDataVar]):
    # DWD serves only the last day: start at (about) the first backfill, or backfill from an archive of its files.
    append_dim_start: pd.Timestamp = timestamp("2026-01-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("3h")
    forecast_length: pd.Timedelta = LONG_RUN_LENGTH  # the short runs' is set per init in derive_coordinates

    def latitudes(self) -> np.ndarray:
        return NORTH - RESOLUTION * np.arange(round((NORTH - SOUTH) / RESOLUTION) + 1)

    def longitudes(self) -> np.ndarray:
        return WEST + RESOLUTION * np.arange(round((EAST - WEST) / RESOLUTION) + 1)

    def lead_times(self) -> pd.TimedeltaIndex:
        return icon_eu_lead_times()

    def spatial_ref(self) -> Coordinate:
        return sphere_spatial_ref_coordinate(EARTH_RADIUS_M, "as used by ICON")

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        lengths = forecast_length(pd.DatetimeIndex(ds["init_time"].values))
        return super().derive_coordinates(ds) | {"expected_forecast_length": (("init_time",), lengths)}

    @property
    def data_vars(self) -> Sequence[DwdDataVar]:
        return ICON_EU_DATA_VARS
