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
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import (
    Coordinate,
    DatasetAttributes,
    DataVar,
    DataVarAttrs,
    StepType,
    float32_encoding,
)
from datasets.common.forecast_coordinates import (
    derive_forecast_coordinates,
    latitude_longitude_forecast_coordinates,
    sphere_spatial_ref_coordinate,
)
from datasets.common.template_config import CoordinateValues, TemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.dwd.dwd_region_job import DwdDataVar, DwdInternalAttrs, DwdStatistic

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


def _var(
    name: str,
    long_name: str,
    short_name: str,
    units: str,
    step_type: StepType,
    dwd_param: str,
    grib_parameter: tuple[int, int, int],
    grib_level: str,
    *,
    standard_name: str | None = None,
    statistic: DwdStatistic | None = None,
    keep_mantissa_bits: int = 7,
    unit_conversion: Literal["kelvin_to_celsius"] | None = None,
) -> DwdDataVar:
    return DataVar(
        name=name,
        encoding=float32_encoding(CHUNKS, SHARDS),
        attrs=DataVarAttrs(
            long_name=long_name,
            short_name=short_name,
            units=units,
            step_type=step_type,
            standard_name=standard_name,
            comment=STATISTIC_COMMENT[statistic] if statistic else None,
        ),
        internal_attrs=DwdInternalAttrs(
            keep_mantissa_bits=keep_mantissa_bits,
            dwd_param=dwd_param,
            grib_parameter=grib_parameter,
            grib_level=grib_level,
            statistic=statistic,
            unit_conversion=unit_conversion,
        ),
    )


ICON_EU_DATA_VARS: tuple[DwdDataVar, ...] = (
    _var("temperature_2m", "2 metre temperature", "2t", "degree_Celsius", "instant", "t_2m", (0, 0, 0),
         "2 m above ground", standard_name="air_temperature", unit_conversion="kelvin_to_celsius"),
    _var("dew_point_temperature_2m", "2 metre dewpoint temperature", "2d", "degree_Celsius", "instant", "td_2m",
         (0, 0, 6), "2 m above ground", standard_name="dew_point_temperature", unit_conversion="kelvin_to_celsius"),
    _var("relative_humidity_2m", "2 metre relative humidity", "2r", "percent", "instant", "relhum_2m", (0, 1, 1),
         "2 m above ground", standard_name="relative_humidity"),
    _var("wind_u_10m", "10 metre U wind component", "10u", "m s-1", "instant", "u_10m", (0, 2, 2),
         "10 m above ground", standard_name="eastward_wind", keep_mantissa_bits=6),
    _var("wind_v_10m", "10 metre V wind component", "10v", "m s-1", "instant", "v_10m", (0, 2, 3),
         "10 m above ground", standard_name="northward_wind", keep_mantissa_bits=6),
    _var("wind_gust_10m", "Maximum 10 metre wind gust since previous post-processing", "10fg", "m s-1", "max",
         "vmax_10m", (0, 2, 22), "10 m above ground", standard_name="wind_speed_of_gust",
         statistic="maximum_since_previous_output", keep_mantissa_bits=6),
    _var("pressure_reduced_to_mean_sea_level", "Mean sea level pressure", "msl", "Pa", "instant", "pmsl", (0, 3, 1),
         "mean sea level", standard_name="air_pressure_at_mean_sea_level", keep_mantissa_bits=10),
    _var("pressure_surface", "Surface pressure", "sp", "Pa", "instant", "ps", (0, 3, 0), "surface",
         standard_name="surface_air_pressure", keep_mantissa_bits=10),
    _var("precipitation_surface", "Total precipitation rate", "tprate", "kg m-2 s-1", "avg", "tot_prec", (0, 1, 52),
         "surface", standard_name="precipitation_flux", statistic="accumulation_since_init"),
    _var("total_cloud_cover_atmosphere", "Total cloud cover", "tcc", "percent", "instant", "clct", (0, 6, 1),
         "surface", standard_name="cloud_area_fraction"),
    _var("net_short_wave_radiation_flux_surface", "Mean surface net short-wave radiation flux", "msnswrf", "W m-2",
         "avg", "asob_s", (0, 4, 9), "surface", standard_name="surface_net_downward_shortwave_flux",
         statistic="average_since_init"),
    _var("net_long_wave_radiation_flux_surface", "Mean surface net long-wave radiation flux", "msnlwrf", "W m-2",
         "avg", "athb_s", (0, 5, 5), "surface", standard_name="surface_net_downward_longwave_flux",
         statistic="average_since_init"),
)  # fmt: skip


class DwdIconEuForecastTemplateConfig(TemplateConfig[DwdDataVar]):
    dims: tuple[str, ...] = ("init_time", "lead_time", "latitude", "longitude")
    append_dim: str = "init_time"
    # DWD serves only the last day: start at (about) the first backfill, or backfill from an archive of its files.
    append_dim_start: pd.Timestamp = timestamp("2026-01-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("3h")

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return DatasetAttributes(
            dataset_id="dwd-icon-eu-forecast-5-day",
            dataset_version="0.1.0",
            name="DWD ICON-EU forecast, 5 day",
            description="Weather forecasts for Europe from the ICON-EU model operated by Deutscher Wetterdienst (DWD).",
            attribution="Source: Deutscher Wetterdienst (DWD open data, ICON-EU), reformatted to Zarr by the "
            "reformatters project.",
            spatial_domain="Europe",
            spatial_resolution="0.0625 degrees (~7 km)",
            time_domain=f"Forecasts initialized {self.append_dim_start.isoformat()} UTC to present",
            time_resolution="Forecasts initialized every 3 hours",
            forecast_domain="Forecast lead time 0-120 hours (0-5 days) ahead; 0-30 hours for the 03, 09, 15 and "
            "21 UTC runs",
            forecast_resolution="Forecast step 0-78 hours: hourly, 81-120 hours: 3 hourly",
        )

    def latitudes(self) -> np.ndarray:
        return NORTH - RESOLUTION * np.arange(round((NORTH - SOUTH) / RESOLUTION) + 1)

    def longitudes(self) -> np.ndarray:
        return WEST + RESOLUTION * np.arange(round((EAST - WEST) / RESOLUTION) + 1)

    def dimension_coordinates(self) -> dict[str, Any]:
        return {
            "init_time": self.first_append_dim_coordinate(),
            "lead_time": icon_eu_lead_times(),
            "latitude": self.latitudes(),
            "longitude": self.longitudes(),
        }

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        lengths = forecast_length(pd.DatetimeIndex(ds["init_time"].values))
        return derive_forecast_coordinates(ds, LONG_RUN_LENGTH) | {
            "expected_forecast_length": (("init_time",), lengths)
        }

    @property
    def coords(self) -> Sequence[Coordinate]:
        return latitude_longitude_forecast_coordinates(
            self.dimension_coordinates(), sphere_spatial_ref_coordinate(EARTH_RADIUS_M, "as used by ICON")
        )

    @property
    def data_vars(self) -> Sequence[DwdDataVar]:
        return ICON_EU_DATA_VARS
