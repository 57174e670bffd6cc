from collections.abc import Sequence
from typing import Any, Literal

import dask.array
import pandas as pd
import xarray as xr

from datasets.common.config_models import (
    Coordinate,
    CoordinateAttrs,
    DatasetAttributes,
    DataVar,
    DataVarAttrs,
    StepType,
    float32_encoding,
)
from datasets.common.forecast_coordinates import (
    NCEP_EARTH_RADIUS_M,
    derive_forecast_coordinates,
    float64_encoding,
    forecast_time_coordinates,
    spatial_ref_coordinate,
    sphere_comment,
)
from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.sources.grib import LambertParameters
from datasets.common.template_config import CoordinateValues, TemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.noaa_region_job import NoaaInternalAttrs, UnitConversion

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

type HrrrDataVar = DataVar[NoaaInternalAttrs]


def _var(
    name: str,
    long_name: str,
    short_name: str,
    units: str,
    element: str,
    level: str,
    *,
    step_type: StepType = "instant",
    standard_name: str | None = None,
    comment: str | None = None,
    flag_meanings: str | None = None,
    keep_mantissa_bits: int | Literal["no-rounding"] = 7,
    accumulation: bool = False,
    unit_conversion: UnitConversion | None = None,
    alternative_elements: tuple[str, ...] = (),
) -> HrrrDataVar:
    return DataVar(
        name=name,
        encoding=float32_encoding((1, 49, 265, 300), (1, 49, 1060, 1800)),
        attrs=DataVarAttrs(
            long_name=long_name,
            short_name=short_name,
            units=units,
            step_type="avg" if accumulation else step_type,
            standard_name=standard_name,
            comment=comment,
            flag_values=(0, 1) if flag_meanings else None,
            flag_meanings=flag_meanings,
        ),
        internal_attrs=NoaaInternalAttrs(
            keep_mantissa_bits=keep_mantissa_bits,
            grib_element=element,
            grib_index_level=level,
            window_kind="acc" if accumulation else None,
            window_reset_hours=1 if accumulation else None,
            deaccumulate_to_rate=accumulation,
            unit_conversion=unit_conversion,
            alternative_grib_elements=alternative_elements,
        ),
    )


def _categorical(name: str, long_name: str, short_name: str, element: str, kind: str) -> HrrrDataVar:
    return _var(
        name, long_name, short_name, "1", element, "surface",
        flag_meanings=f"no_{kind} {kind}",
        keep_mantissa_bits="no-rounding",
        comment=f"1 where {kind.replace('_', ' ')} falls at the valid time, else 0.",
    )  # fmt: skip


RATE_COMMENT = "Average rate over the hour before the valid time (the source accumulates over each hour)."

HRRR_DATA_VARS: tuple[HrrrDataVar, ...] = (
    _var("composite_reflectivity", "Maximum/Composite radar reflectivity", "refc", "dBZ", "REFC",
         "entire atmosphere"),
    _var("temperature_2m", "2 metre temperature", "2t", "degree_Celsius", "TMP", "2 m above ground",
         standard_name="air_temperature", unit_conversion="kelvin_to_celsius"),
    _var("dew_point_temperature_2m", "2 metre dewpoint temperature", "2d", "degree_Celsius", "DPT",
         "2 m above ground", standard_name="dew_point_temperature", unit_conversion="kelvin_to_celsius"),
    _var("relative_humidity_2m", "2 metre relative humidity", "2r", "percent", "RH", "2 m above ground",
         standard_name="relative_humidity"),
    _var("wind_u_10m", "10 metre U wind component", "10u", "m s-1", "UGRD", "10 m above ground",
         standard_name="x_wind", comment=GRID_RELATIVE_WIND, keep_mantissa_bits=6),
    _var("wind_v_10m", "10 metre V wind component", "10v", "m s-1", "VGRD", "10 m above ground",
         standard_name="y_wind", comment=GRID_RELATIVE_WIND, keep_mantissa_bits=6),
    _var("wind_u_80m", "U component of wind", "u", "m s-1", "UGRD", "80 m above ground",
         standard_name="x_wind", comment=GRID_RELATIVE_WIND, keep_mantissa_bits=6),
    _var("wind_v_80m", "V component of wind", "v", "m s-1", "VGRD", "80 m above ground",
         standard_name="y_wind", comment=GRID_RELATIVE_WIND, keep_mantissa_bits=6),
    _var("wind_gust_surface", "Wind speed (gust)", "gust", "m s-1", "GUST", "surface",
         standard_name="wind_speed_of_gust", keep_mantissa_bits=6),
    _var("pressure_surface", "Surface pressure", "sp", "Pa", "PRES", "surface",
         standard_name="surface_air_pressure", keep_mantissa_bits=10),
    _var("pressure_reduced_to_mean_sea_level", "MSLP (MAPS System Reduction)", "mslma", "Pa", "MSLMA",
         "mean sea level", standard_name="air_pressure_at_mean_sea_level", keep_mantissa_bits=10,
         alternative_elements=("PRMSL",),
         comment="The MAPS reduction (MSLMA); files that lack it publish PRMSL, which is used instead."),
    _var("percent_frozen_precipitation_surface", "Percent frozen precipitation", "cpofp", "percent", "CPOFP",
         "surface",
         comment="Negative values (typically -50) mean no precipitation is falling; they are kept as published."),
    _var("precipitation_surface", "Precipitation rate", "prate", "kg m-2 s-1", "APCP", "surface",
         standard_name="precipitation_flux", accumulation=True, comment=RATE_COMMENT + " No value at lead time 0."),
    _categorical("categorical_snow_surface", "Categorical snow", "csnow", "CSNOW", "snow"),
    _categorical("categorical_ice_pellets_surface", "Categorical ice pellets", "cicep", "CICEP", "ice_pellets"),
    _categorical("categorical_freezing_rain_surface", "Categorical freezing rain", "cfrzr", "CFRZR",
                 "freezing_rain"),
    _categorical("categorical_rain_surface", "Categorical rain", "crain", "CRAIN", "rain"),
    _var("precipitable_water_atmosphere", "Precipitable water", "pwat", "kg m-2", "PWAT",
         "entire atmosphere (considered as a single layer)", standard_name="atmosphere_mass_content_of_water_vapor"),
    _var("total_cloud_cover_atmosphere", "Total Cloud Cover", "tcc", "percent", "TCDC", "entire atmosphere",
         standard_name="cloud_area_fraction"),
    _var("geopotential_height_cloud_ceiling", "Geopotential height", "gh", "m", "HGT", "cloud ceiling",
         comment="Values around 20000 m mean there is no cloud ceiling."),
    _var("downward_short_wave_radiation_flux_surface", "Surface downward short-wave radiation flux", "sdswrf",
         "W m-2", "DSWRF", "surface", standard_name="surface_downwelling_shortwave_flux_in_air"),
    _var("downward_long_wave_radiation_flux_surface", "Surface downward long-wave radiation flux", "sdlwrf",
         "W m-2", "DLWRF", "surface", standard_name="surface_downwelling_longwave_flux_in_air"),
    _var("snow_depth_surface", "Snow depth", "sde", "m", "SNOD", "surface", standard_name="surface_snow_thickness"),
    _var("snow_cover_surface", "Snow cover", "snowc", "percent", "SNOWC", "surface",
         standard_name="surface_snow_area_fraction"),
    _var("snow_water_equivalent_surface", "Water equivalent of accumulated snow depth", "sdwe", "kg m-2",
         "WEASD", "surface", standard_name="surface_snow_amount"),
    _var("snowfall_surface", "Snowfall rate water equivalent", "srweq", "kg m-2 s-1", "WEASD", "surface",
         standard_name="snowfall_flux", accumulation=True, comment=RATE_COMMENT + " No value at lead time 0."),
)  # fmt: skip


class NoaaHrrrForecast48HourTemplateConfig(TemplateConfig[HrrrDataVar]):
    dims: tuple[str, ...] = ("init_time", "lead_time", "y", "x")
    append_dim: str = "init_time"
    append_dim_start: pd.Timestamp = timestamp("2018-07-13T12:00")
    append_dim_frequency: pd.Timedelta = timedelta("6h")
    grid: LambertConformalGrid = HRRR_GRID

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return DatasetAttributes(
            dataset_id="noaa-hrrr-forecast-48-hour",
            dataset_version="0.1.0",
            name="NOAA HRRR forecast, 48 hour",
            description="Weather forecasts from the High-Resolution Rapid Refresh (HRRR) model operated by NOAA NWS "
            "NCEP, over the contiguous United States: the 48-hour runs.",
            attribution="NOAA NWS NCEP HRRR data, reformatted to Zarr by the reformatters project.",
            spatial_domain="Contiguous United States",
            spatial_resolution="3 km (Lambert conformal conic)",
            time_domain=f"Forecasts initialized {self.append_dim_start.isoformat()} UTC to present",
            time_resolution="Forecasts initialized every 6 hours",
            forecast_domain="Forecast lead time 0-48 hours ahead",
            forecast_resolution="Hourly",
        )

    def dimension_coordinates(self) -> dict[str, Any]:
        return {
            "init_time": self.first_append_dim_coordinate(),
            "lead_time": pd.timedelta_range("0h", FORECAST_LENGTH, freq="1h", name="lead_time"),
            "y": self.grid.y(),
            "x": self.grid.x(),
        }

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        latitude, longitude = self.grid.latitude_longitude()
        return {
            **derive_forecast_coordinates(ds, FORECAST_LENGTH),
            "latitude": (("y", "x"), latitude),
            "longitude": (("y", "x"), longitude),
        }

    def build_template(self) -> xr.Dataset:
        """2-D latitude/longitude (~10 MB each) stay out of the checked-in template; get_template derives them."""
        ds = super().build_template()
        return ds.assign_coords(
            {name: ds[name].copy(data=dask.array.from_array(ds[name].values)) for name in ("latitude", "longitude")}
        )

    @property
    def coords(self) -> Sequence[Coordinate]:
        spatial = (self.grid.ny, self.grid.nx)
        return (
            *forecast_time_coordinates(int(FORECAST_LENGTH / timedelta("1h")) + 1),
            Coordinate(
                name="y",
                encoding=float64_encoding(self.grid.ny),
                attrs=CoordinateAttrs(
                    units="m", long_name="y coordinate of projection", standard_name="projection_y_coordinate", axis="Y"
                ),
            ),
            Coordinate(
                name="x",
                encoding=float64_encoding(self.grid.nx),
                attrs=CoordinateAttrs(
                    units="m", long_name="x coordinate of projection", standard_name="projection_x_coordinate", axis="X"
                ),
            ),
            Coordinate(
                name="latitude",
                encoding=float64_encoding(*spatial),
                attrs=CoordinateAttrs(units="degrees_north", long_name="Latitude", standard_name="latitude"),
            ),
            Coordinate(
                name="longitude",
                encoding=float64_encoding(*spatial),
                attrs=CoordinateAttrs(units="degrees_east", long_name="Longitude", standard_name="longitude"),
            ),
            spatial_ref_coordinate(self.grid.crs(), sphere_comment()),
        )

    @property
    def data_vars(self) -> Sequence[HrrrDataVar]:
        return HRRR_DATA_VARS
