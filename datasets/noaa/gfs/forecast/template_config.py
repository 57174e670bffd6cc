from collections.abc import Sequence
from typing import Any, Literal

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
    GlobalQuarterDegreeGrid,
    derive_forecast_coordinates,
    latitude_longitude_forecast_coordinates,
    sphere_spatial_ref_coordinate,
)
from datasets.common.sources.noaa_idx import WindowKind
from datasets.common.template_config import CoordinateValues, TemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.noaa_region_job import NoaaInternalAttrs, UnitConversion

FORECAST_LENGTH = timedelta("384h")

type GfsDataVar = DataVar[NoaaInternalAttrs]

WINDOW_COMMENT = {
    "ave": "Average over the window that ends at the valid time and starts at the previous 6-hourly reset "
    "(lead times that are multiples of 6 h start a new window). No value at lead time 0.",
    "max": "Maximum over the window that ends at the valid time and starts at the previous 6-hourly reset. "
    "No value at lead time 0.",
    "min": "Minimum over the window that ends at the valid time and starts at the previous 6-hourly reset. "
    "No value at lead time 0.",
    "acc": "Average rate since the previous lead time, derived from accumulations that reset every 6 h. "
    "No value at lead time 0.",
}


def _var(
    name: str,
    long_name: str,
    short_name: str,
    units: str,
    step_type: StepType,
    element: str,
    level: str,
    *,
    standard_name: str | None = None,
    comment: str | None = None,
    flag_meanings: str | None = None,
    keep_mantissa_bits: int | Literal["no-rounding"] = 7,
    window: WindowKind | None = None,
    unit_conversion: UnitConversion | None = None,
    chunks: tuple[int, ...] = (1, 105, 121, 121),
    shards: tuple[int, ...] = (1, 210, 726, 726),
) -> GfsDataVar:
    comments = [c for c in (comment, WINDOW_COMMENT.get(window or "")) if c]
    return DataVar(
        name=name,
        encoding=float32_encoding(chunks, shards),
        attrs=DataVarAttrs(
            long_name=long_name,
            short_name=short_name,
            units=units,
            step_type=step_type,
            standard_name=standard_name,
            comment=" ".join(comments) or None,
            flag_values=(0, 1) if flag_meanings else None,
            flag_meanings=flag_meanings,
        ),
        internal_attrs=NoaaInternalAttrs(
            keep_mantissa_bits=keep_mantissa_bits,
            grib_element=element,
            grib_index_level=level,
            window_kind=window,
            window_reset_hours=6 if window else None,
            deaccumulate_to_rate=window == "acc",
            unit_conversion=unit_conversion,
        ),
    )


def _categorical(name: str, long_name: str, short_name: str, element: str, kind: str) -> GfsDataVar:
    return _var(
        name,
        long_name,
        short_name,
        "1",
        "avg",
        element,
        "surface",
        flag_meanings=f"no_{kind} {kind}",
        keep_mantissa_bits="no-rounding",
        window="ave",
        comment=f"1 where {kind.replace('_', ' ')} occurred at any time in the window, else 0.",
    )


GFS_DATA_VARS: tuple[GfsDataVar, ...] = (
    _var("pressure_surface", "Surface pressure", "sp", "Pa", "instant", "PRES", "surface",
         standard_name="surface_air_pressure", keep_mantissa_bits=10),
    _var("temperature_2m", "2 metre temperature", "2t", "degree_Celsius", "instant", "TMP", "2 m above ground",
         standard_name="air_temperature", unit_conversion="kelvin_to_celsius"),
    _var("relative_humidity_2m", "2 metre relative humidity", "2r", "percent", "instant", "RH", "2 m above ground",
         standard_name="relative_humidity"),
    _var("maximum_temperature_2m", "Maximum temperature", "tmax", "degree_Celsius", "max", "TMAX",
         "2 m above ground", standard_name="air_temperature", window="max", unit_conversion="kelvin_to_celsius"),
    _var("minimum_temperature_2m", "Minimum temperature", "tmin", "degree_Celsius", "min", "TMIN",
         "2 m above ground", standard_name="air_temperature", window="min", unit_conversion="kelvin_to_celsius"),
    _var("wind_u_10m", "10 metre U wind component", "10u", "m s-1", "instant", "UGRD", "10 m above ground",
         standard_name="eastward_wind", keep_mantissa_bits=6),
    _var("wind_v_10m", "10 metre V wind component", "10v", "m s-1", "instant", "VGRD", "10 m above ground",
         standard_name="northward_wind", keep_mantissa_bits=6),
    _var("wind_u_100m", "100 metre U wind component", "100u", "m s-1", "instant", "UGRD", "100 m above ground",
         standard_name="eastward_wind", keep_mantissa_bits=6),
    _var("wind_v_100m", "100 metre V wind component", "100v", "m s-1", "instant", "VGRD", "100 m above ground",
         standard_name="northward_wind", keep_mantissa_bits=6),
    _var("temperature_80m", "Temperature", "t", "degree_Celsius", "instant", "TMP", "80 m above ground",
         standard_name="air_temperature", unit_conversion="kelvin_to_celsius"),
    _var("pressure_80m", "Pressure", "pres", "Pa", "instant", "PRES", "80 m above ground",
         standard_name="air_pressure", keep_mantissa_bits=10),
    _var("wind_u_80m", "U component of wind", "u", "m s-1", "instant", "UGRD", "80 m above ground",
         standard_name="eastward_wind", keep_mantissa_bits=6),
    _var("wind_v_80m", "V component of wind", "v", "m s-1", "instant", "VGRD", "80 m above ground",
         standard_name="northward_wind", keep_mantissa_bits=6),
    _var("percent_frozen_precipitation_surface", "Percent frozen precipitation", "cpofp", "percent", "instant",
         "CPOFP", "surface",
         comment="Negative values (typically -50) mean no precipitation is falling; they are kept as published."),
    _var("precipitation_surface", "Precipitation rate", "prate", "kg m-2 s-1", "avg", "APCP", "surface",
         standard_name="precipitation_flux", window="acc"),
    _categorical("categorical_snow_surface", "Categorical snow", "csnow", "CSNOW", "snow"),
    _categorical("categorical_ice_pellets_surface", "Categorical ice pellets", "cicep", "CICEP", "ice_pellets"),
    _categorical("categorical_freezing_rain_surface", "Categorical freezing rain", "cfrzr", "CFRZR",
                 "freezing_rain"),
    _categorical("categorical_rain_surface", "Categorical rain", "crain", "CRAIN", "rain"),
    _var("precipitable_water_atmosphere", "Precipitable water", "pwat", "kg m-2", "instant", "PWAT",
         "entire atmosphere (considered as a single layer)",
         standard_name="atmosphere_mass_content_of_water_vapor"),
    _var("total_cloud_cover_atmosphere", "Total Cloud Cover", "tcc", "percent", "avg", "TCDC", "entire atmosphere",
         standard_name="cloud_area_fraction", window="ave"),
    _var("geopotential_height_cloud_ceiling", "Geopotential height", "gh", "m", "instant", "HGT", "cloud ceiling",
         comment="Values around 20000 m mean there is no cloud ceiling."),
    _var("downward_short_wave_radiation_flux_surface", "Surface downward short-wave radiation flux", "sdswrf",
         "W m-2", "avg", "DSWRF", "surface", standard_name="surface_downwelling_shortwave_flux_in_air", window="ave"),
    _var("downward_long_wave_radiation_flux_surface", "Surface downward long-wave radiation flux", "sdlwrf",
         "W m-2", "avg", "DLWRF", "surface", standard_name="surface_downwelling_longwave_flux_in_air", window="ave"),
    _var("pressure_reduced_to_mean_sea_level", "Pressure reduced to MSL", "prmsl", "Pa", "instant", "PRMSL",
         "mean sea level", standard_name="air_pressure_at_mean_sea_level", keep_mantissa_bits=10),
)  # fmt: skip


def gfs_lead_times() -> pd.TimedeltaIndex:
    hours = [*range(121), *range(123, 385, 3)]
    return pd.TimedeltaIndex(pd.to_timedelta(hours, unit="h"), name="lead_time")


class NoaaGfsForecastTemplateConfig(GlobalQuarterDegreeGrid, TemplateConfig[GfsDataVar]):
    dims: tuple[str, ...] = ("init_time", "lead_time", "latitude", "longitude")
    append_dim: str = "init_time"
    append_dim_start: pd.Timestamp = timestamp("2021-05-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("6h")

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return DatasetAttributes(
            dataset_id="noaa-gfs-forecast",
            dataset_version="0.1.0",
            name="NOAA GFS forecast",
            description="Weather forecasts from the Global Forecast System (GFS) operated by NOAA NWS NCEP.",
            attribution="NOAA NWS NCEP GFS data, reformatted to Zarr by the reformatters project.",
            spatial_domain="Global",
            spatial_resolution="0.25 degrees (~20 km)",
            time_domain=f"Forecasts initialized {self.append_dim_start.isoformat()} UTC to present",
            time_resolution="Forecasts initialized every 6 hours",
            forecast_domain="Forecast lead time 0-384 hours (0-16 days) ahead",
            forecast_resolution="Forecast step 0-120 hours: hourly, 123-384 hours: 3 hourly",
        )

    def dimension_coordinates(self) -> dict[str, Any]:
        return {
            "init_time": self.first_append_dim_coordinate(),
            "lead_time": gfs_lead_times(),
            "latitude": self.latitudes(),
            "longitude": self.longitudes(),
        }

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        return derive_forecast_coordinates(ds, FORECAST_LENGTH)

    @property
    def coords(self) -> Sequence[Coordinate]:
        return latitude_longitude_forecast_coordinates(self.dimension_coordinates(), sphere_spatial_ref_coordinate())

    @property
    def data_vars(self) -> Sequence[GfsDataVar]:
        return GFS_DATA_VARS
