from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import (
    BaseInternalAttrs,
    Coordinate,
    DatasetAttributes,
    DataVar,
    DataVarAttrs,
    FrozenBaseModel,
    StepType,
    float32_encoding,
)
from datasets.common.forecast_coordinates import (
    NCEP_EARTH_RADIUS_M,
    GlobalQuarterDegreeGrid,
    derive_forecast_coordinates,
    ensemble_member_coordinate,
    latitude_longitude_forecast_coordinates,
    sphere_spatial_ref_coordinate,
)
from datasets.common.template_config import CoordinateValues, TemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.common.transforms.deaccumulation import NEGATIVE_RATE_TOLERANCE

type IfsUnitConversion = Literal["kelvin_to_celsius", "fraction_to_percent", "metres_of_water_to_kg_m2"]

FORECAST_LENGTH = timedelta("360h")
ENSEMBLE_MEMBERS = 51
# Lossy packing of running totals of order 1e8 J m-2 leaves differences of a few W m-2 below zero.
RADIATION_NEGATIVE_RATE_TOLERANCE = -5.0


class IndexParamOverride(FrozenBaseModel):
    """A different `.index` param for lead times in [first, last] (e.g. 10fg3 where the gust window is 3 h)."""

    first: pd.Timedelta
    last: pd.Timedelta
    param: str


class IfsEnsInternalAttrs(BaseInternalAttrs):
    """Where a variable lives in the open-data `.index` and how it becomes the stored value."""

    index_param: str
    index_levtype: Literal["sfc", "pl"] = "sfc"
    index_levelist: str | None = None
    index_param_overrides: tuple[IndexParamOverride, ...] = ()
    values_at_lead_0: bool = True
    # A running total since the init time, stored as the average rate since the previous lead time.
    deaccumulate_to_rate: bool = False
    negative_rate_tolerance: float = NEGATIVE_RATE_TOLERANCE
    unit_conversion: IfsUnitConversion | None = None
    available_from: pd.Timestamp | None = None  # the first init time the source publishes it for

    @property
    def has_hour_0_values(self) -> bool:
        return self.values_at_lead_0

    def index_param_at(self, lead_time: pd.Timedelta) -> str:
        for override in self.index_param_overrides:
            if override.first <= lead_time <= override.last:
                return override.param
        return self.index_param

    def available(self, init_time: pd.Timestamp, lead_time: pd.Timedelta) -> bool:
        if self.available_from is not None and init_time < self.available_from:
            return False
        return self.values_at_lead_0 or lead_time > pd.Timedelta(0)


type IfsEnsDataVar = DataVar[IfsEnsInternalAttrs]

RUNNING_TOTAL_COMMENT = "Average over the time since the previous lead time, from running totals since the init time."


def _var(
    name: str,
    long_name: str,
    param: str,
    units: str,
    *,
    step_type: StepType = "instant",
    standard_name: str | None = None,
    comment: str | None = None,
    flags: dict[int, str] | None = None,
    keep_mantissa_bits: int | Literal["no-rounding"] = 7,
    **internal: Any,
) -> IfsEnsDataVar:
    return DataVar(
        name=name,
        encoding=float32_encoding((1, 85, ENSEMBLE_MEMBERS, 32, 32), (1, 85, ENSEMBLE_MEMBERS, 320, 320)),
        attrs=DataVarAttrs(
            long_name=long_name,
            short_name=param,
            units=units,
            step_type=step_type,
            standard_name=standard_name,
            comment=comment,
            flag_values=tuple(flags) if flags else None,
            flag_meanings=" ".join(flags.values()) if flags else None,
        ),
        internal_attrs=IfsEnsInternalAttrs(keep_mantissa_bits=keep_mantissa_bits, index_param=param, **internal),
    )


def _running_total(name: str, long_name: str, param: str, standard_name: str, **internal: Any) -> IfsEnsDataVar:
    return _var(name, long_name, param, "W m-2", step_type="avg", standard_name=standard_name,
                comment=f"{RUNNING_TOTAL_COMMENT} No value at lead time 0.", values_at_lead_0=False,
                deaccumulate_to_rate=True, negative_rate_tolerance=RADIATION_NEGATIVE_RATE_TOLERANCE, **internal)  # fmt: skip


def _pressure_level(name: str, long_name: str, param: str, level: int, units: str, standard_name: str,
                    **kwargs: Any) -> IfsEnsDataVar:  # fmt: skip
    return _var(name, long_name, param, units, standard_name=standard_name, index_levtype="pl",
                index_levelist=str(level), **kwargs)  # fmt: skip


PRECIPITATION_TYPES = {
    0: "no_precipitation", 1: "rain", 3: "freezing_rain", 5: "snow", 6: "wet_snow", 7: "mixture_of_rain_and_snow",
    8: "ice_pellets", 12: "freezing_drizzle",
}  # fmt: skip

IFS_ENS_DATA_VARS: tuple[IfsEnsDataVar, ...] = (
    _var("pressure_surface", "Surface pressure", "sp", "Pa", standard_name="surface_air_pressure",
         keep_mantissa_bits=10),
    _var("temperature_2m", "2 metre temperature", "2t", "degree_Celsius", standard_name="air_temperature",
         unit_conversion="kelvin_to_celsius"),
    _var("dew_point_temperature_2m", "2 metre dewpoint temperature", "2d", "degree_Celsius",
         standard_name="dew_point_temperature", unit_conversion="kelvin_to_celsius"),
    _var("wind_u_10m", "10 metre U wind component", "10u", "m s-1", standard_name="eastward_wind",
         keep_mantissa_bits=6),
    _var("wind_v_10m", "10 metre V wind component", "10v", "m s-1", standard_name="northward_wind",
         keep_mantissa_bits=6),
    _var("wind_u_100m", "100 metre U wind component", "100u", "m s-1", standard_name="eastward_wind",
         keep_mantissa_bits=6),
    _var("wind_v_100m", "100 metre V wind component", "100v", "m s-1", standard_name="northward_wind",
         keep_mantissa_bits=6),
    _var("wind_gust_10m", "Maximum 10 metre wind gust since previous post-processing", "10fg", "m s-1",
         step_type="max", standard_name="wind_speed_of_gust", keep_mantissa_bits=6, values_at_lead_0=False,
         comment="Maximum since the previous lead time. No value at lead time 0.",
         index_param_overrides=(IndexParamOverride(first=timedelta("93h"), last=timedelta("144h"), param="10fg3"),)),
    _var("precipitation_surface", "Total precipitation", "tp", "kg m-2 s-1", step_type="avg",
         standard_name="precipitation_flux", values_at_lead_0=False, deaccumulate_to_rate=True,
         unit_conversion="metres_of_water_to_kg_m2",
         comment=f"{RUNNING_TOTAL_COMMENT} Published in metres of water (1 m = 1000 kg m-2). No value at lead time 0."),
    _var("categorical_precipitation_type_surface", "Precipitation type", "ptype", "1", flags=PRECIPITATION_TYPES,
         keep_mantissa_bits="no-rounding", available_from=timestamp("2024-11-13T00:00"),
         comment="Published from the 2024-11-13 00 UTC run on; missing before."),
    _running_total("downward_short_wave_radiation_flux_surface", "Surface short-wave (solar) radiation downwards",
                   "ssrd", "surface_downwelling_shortwave_flux_in_air"),
    _running_total("downward_long_wave_radiation_flux_surface", "Surface long-wave (thermal) radiation downwards",
                   "strd", "surface_downwelling_longwave_flux_in_air"),
    _var("pressure_reduced_to_mean_sea_level", "Mean sea level pressure", "msl", "Pa",
         standard_name="air_pressure_at_mean_sea_level", keep_mantissa_bits=10),
    _var("total_cloud_cover_atmosphere", "Total cloud cover", "tcc", "percent", standard_name="cloud_area_fraction",
         unit_conversion="fraction_to_percent", comment="Published as a fraction (0-1); stored in percent."),
    _pressure_level("geopotential_height_500hpa", "Geopotential height", "gh", 500, "m", "geopotential_height",
                    keep_mantissa_bits=10),
    _pressure_level("geopotential_height_850hpa", "Geopotential height", "gh", 850, "m", "geopotential_height",
                    keep_mantissa_bits=10),
    _pressure_level("geopotential_height_925hpa", "Geopotential height", "gh", 925, "m", "geopotential_height",
                    keep_mantissa_bits=10),
    _pressure_level("temperature_850hpa", "Temperature", "t", 850, "degree_Celsius", "air_temperature",
                    unit_conversion="kelvin_to_celsius"),
    _pressure_level("temperature_925hpa", "Temperature", "t", 925, "degree_Celsius", "air_temperature",
                    unit_conversion="kelvin_to_celsius"),
)  # fmt: skip


def ifs_ens_lead_times() -> pd.TimedeltaIndex:
    hours = [*range(0, 145, 3), *range(150, 361, 6)]
    return pd.TimedeltaIndex(pd.to_timedelta(hours, unit="h"), name="lead_time")


class EcmwfIfsEnsForecast15Day025DegreeTemplateConfig(GlobalQuarterDegreeGrid, TemplateConfig[IfsEnsDataVar]):
    dims: tuple[str, ...] = ("init_time", "lead_time", "ensemble_member", "latitude", "longitude")
    append_dim: str = "init_time"
    append_dim_start: pd.Timestamp = timestamp("2024-04-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("24h")

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return DatasetAttributes(
            dataset_id="ecmwf-ifs-ens-forecast-15-day-0-25-degree",
            dataset_version="0.1.0",
            name="ECMWF IFS ENS forecast, 15 day, 0.25 degree",
            description="Ensemble weather forecasts from the ECMWF Integrated Forecasting System (IFS ENS): a "
            "control and 50 perturbed members, from ECMWF open data.",
            attribution="ECMWF IFS ENS open data (CC-BY-4.0), reformatted to Zarr by the reformatters project.",
            spatial_domain="Global",
            spatial_resolution="0.25 degrees (~20 km)",
            time_domain=f"Forecasts initialized {self.append_dim_start.isoformat()} UTC to present",
            time_resolution="Forecasts initialized every 24 hours (00 UTC)",
            forecast_domain="Forecast lead time 0-360 hours (0-15 days) ahead",
            forecast_resolution="Forecast step 0-144 hours: 3 hourly, 150-360 hours: 6 hourly",
        )

    def lead_times(self) -> pd.TimedeltaIndex:
        return ifs_ens_lead_times()

    def dimension_coordinates(self) -> dict[str, Any]:
        return {
            "init_time": self.first_append_dim_coordinate(),
            "lead_time": self.lead_times(),
            "ensemble_member": np.arange(ENSEMBLE_MEMBERS),
            "latitude": self.latitudes(),
            "longitude": self.longitudes(),
        }

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        return derive_forecast_coordinates(ds, FORECAST_LENGTH)

    @property
    def coords(self) -> Sequence[Coordinate]:
        return latitude_longitude_forecast_coordinates(
            self.dimension_coordinates(),
            sphere_spatial_ref_coordinate(NCEP_EARTH_RADIUS_M, "as the source encodes it (GRIB2 shape of the earth 6)"),
            ensemble_member_coordinate(
                ENSEMBLE_MEMBERS, "0 is the control forecast (type cf); 1 to 50 are the perturbed members (type pf)."
            ),
        )

    @property
    def data_vars(self) -> Sequence[IfsEnsDataVar]:
        return IFS_ENS_DATA_VARS
