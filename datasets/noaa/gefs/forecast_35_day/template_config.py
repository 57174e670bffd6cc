from collections.abc import Mapping, Sequence
from typing import Literal

import pandas as pd

from datasets.common.config_models import DataVar, Encoding
from datasets.common.forecast_coordinates import GlobalQuarterDegreeGrid
from datasets.common.template_layouts import ForecastTemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast.template_config import GFS, GFS_DATA_VARS, GfsDataVar
from datasets.noaa.noaa_variables import NoaaInternalAttrs

type GefsFileType = Literal["a", "b", "s"]

# The 0.25 degree `s` files stop at this lead time; later leads come from the 0.5 degree `a`/`b` files.
FINE_FILES_LAST_LEAD = timedelta("240h")
ENSEMBLE_MEMBERS = 31


class GefsInternalAttrs(NoaaInternalAttrs):
    fine_file_type: Literal["s"] | None  # the 0.25 degree file for leads up to FINE_FILES_LAST_LEAD, if any
    coarse_file_type: Literal["a", "b"]  # the 0.5 degree file for every other lead

    def file_type(self, lead_time: pd.Timedelta) -> GefsFileType:
        if self.fine_file_type is not None and lead_time <= FINE_FILES_LAST_LEAD:
            return self.fine_file_type
        return self.coarse_file_type


type GefsDataVar = DataVar[GefsInternalAttrs]

SOURCE_COMMENT = {
    True: "Lead times up to 240 hours come from 0.25 degree files; later ones are bilinearly interpolated from "
    "0.5 degree files (points on both grids keep the source value).",
    False: "Bilinearly interpolated from 0.5 degree files (points on both grids keep the source value).",
}

# variable -> (0.25 degree file type for leads up to 240 h, 0.5 degree file type)
FILE_TYPES: dict[str, tuple[Literal["s"] | None, Literal["a", "b"]]] = {
    "pressure_surface": ("s", "a"),
    "temperature_2m": ("s", "a"),
    "relative_humidity_2m": ("s", "a"),
    "maximum_temperature_2m": ("s", "a"),
    "minimum_temperature_2m": ("s", "a"),
    "wind_u_10m": ("s", "a"),
    "wind_v_10m": ("s", "a"),
    "wind_u_100m": (None, "b"),
    "wind_v_100m": (None, "b"),
    "temperature_80m": (None, "b"),
    "pressure_80m": (None, "b"),
    "wind_u_80m": (None, "b"),
    "wind_v_80m": (None, "b"),
    "percent_frozen_precipitation_surface": ("s", "b"),
    "precipitation_surface": ("s", "a"),
    "categorical_snow_surface": ("s", "a"),
    "categorical_ice_pellets_surface": ("s", "a"),
    "categorical_freezing_rain_surface": ("s", "a"),
    "categorical_rain_surface": ("s", "a"),
    "precipitable_water_atmosphere": ("s", "a"),
    "total_cloud_cover_atmosphere": ("s", "a"),
    "geopotential_height_cloud_ceiling": ("s", "b"),
    "downward_short_wave_radiation_flux_surface": ("s", "a"),
    "downward_long_wave_radiation_flux_surface": ("s", "a"),
    "pressure_reduced_to_mean_sea_level": ("s", "a"),
    "wind_gust_surface": ("s", "b"),
    "geopotential_height_500hpa": ("s", "a"),
}

EXTRA_GFS_STYLE_VARS: tuple[GfsDataVar, ...] = (
    GFS.var(name="wind_gust_surface", long_name="Wind speed (gust)", short_name="gust", units="m s-1",
            standard_name="wind_speed_of_gust", element="GUST", level="surface", keep_mantissa_bits=6),
    GFS.var(name="geopotential_height_500hpa", long_name="Geopotential height", short_name="gh", units="m",
            standard_name="geopotential_height", element="HGT", level="500 mb", keep_mantissa_bits=10),
)  # fmt: skip


def gefs_data_var(
    gfs_var: GfsDataVar,
    chunks: tuple[int, ...],
    shards: tuple[int, ...],
    source_comment: Mapping[bool, str] = SOURCE_COMMENT,
) -> GefsDataVar:
    """A GFS variable as GEFS publishes it: same identity and transforms, GEFS encoding and file types;
    `source_comment[has a 0.25 degree file]` says where its values come from."""
    fine, coarse = FILE_TYPES[gfs_var.name]
    comment = " ".join(c for c in (gfs_var.attrs.comment, source_comment[fine is not None]) if c)
    return DataVar(
        name=gfs_var.name,
        encoding=Encoding.model_validate(gfs_var.encoding.model_dump() | {"chunks": chunks, "shards": shards}),
        attrs=gfs_var.attrs.model_copy(update={"comment": comment}),
        internal_attrs=GefsInternalAttrs(
            **gfs_var.internal_attrs.model_dump(), fine_file_type=fine, coarse_file_type=coarse
        ),
    )


def gefs_lead_times() -> pd.TimedeltaIndex:
    hours = [*range(0, 241, 3), *range(246, 841, 6)]
    return pd.TimedeltaIndex(pd.to_timedelta(hours, unit="h"), name="lead_time")


class NoaaGefsForecast35DayTemplateConfig(GlobalQuarterDegreeGrid, ForecastTemplateConfig[GefsDataVar]):
    dims: tuple[str, ...] = ("init_time", "ensemble_member", "lead_time", "latitude", "longitude")
    append_dim_start: pd.Timestamp = timestamp("2020-10-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("24h")
    forecast_length: pd.Timedelta = timedelta("840h")
    ensemble_members: int = ENSEMBLE_MEMBERS
    ensemble_member_comment: str = "0 is the control forecast (c00); 1 to 30 are the perturbed members p01 to p30."
    chunks: tuple[int, ...] = (1, ENSEMBLE_MEMBERS, 64, 17, 16)
    shards: tuple[int, ...] = (1, ENSEMBLE_MEMBERS, 192, 374, 368)

    def lead_times(self) -> pd.TimedeltaIndex:
        return gefs_lead_times()

    @property
    def data_vars(self) -> Sequence[GefsDataVar]:
        return tuple(gefs_data_var(v, self.chunks, self.shards) for v in (*GFS_DATA_VARS, *EXTRA_GFS_STYLE_VARS))
