from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import (
    APPEND_DIM_COORDINATE_CHUNK_SIZE,
    Coordinate,
    CoordinateAttrs,
    DatasetAttributes,
    DataVar,
)
from datasets.common.forecast_coordinates import (
    TIME_UNITS,
    GlobalQuarterDegreeGrid,
    latitude_longitude_coordinates,
    sphere_spatial_ref_coordinate,
    time_encoding,
)
from datasets.common.template_config import CoordinateValues, TemplateConfig
from datasets.common.timestamps import timedelta, timestamp
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, WINDOW_COMMENT, GfsDataVar
from datasets.noaa.noaa_region_job import NoaaInternalAttrs

CHUNKS = (1440, 50, 50)
SHARDS = (1440, 400, 400)


class GfsAnalysisInternalAttrs(NoaaInternalAttrs):
    # Window averages become averages over the hour before each time (deaccumulated along time).
    average_over_step: bool = False


type GfsAnalysisDataVar = DataVar[GfsAnalysisInternalAttrs]

ANALYSIS_WINDOW_COMMENT = {
    "acc": "Average rate over the hour before the time, deaccumulated from the 1-6 hour accumulations of the "
    "run initialized before it. No value at the first time of the dataset.",
    "ave": "Average over the hour before the time, derived from the 1-6 hour window averages of the run "
    "initialized before it. No value at the first time of the dataset.",
    "max": "Maximum over the window from the run initialized before the time up to the time (1-6 hours).",
    "min": "Minimum over the window from the run initialized before the time up to the time (1-6 hours).",
}
FLAG_WINDOW_COMMENT = "The window runs from the initialization before the time up to the time (1-6 hours)."


def analysis_data_var(forecast_var: GfsDataVar) -> GfsAnalysisDataVar:
    """A GFS forecast variable as an hourly time series: analysis encoding and time-series window semantics."""
    attrs = forecast_var.internal_attrs
    kind = attrs.window_kind
    comment = forecast_var.attrs.comment
    average_over_step = False
    if kind is not None:
        base = (comment or "").removesuffix(WINDOW_COMMENT[kind]).strip()
        flags = forecast_var.attrs.flag_values is not None
        average_over_step = kind == "ave" and not flags
        comment = " ".join(c for c in (base, FLAG_WINDOW_COMMENT if flags else ANALYSIS_WINDOW_COMMENT[kind]) if c)
    return DataVar(
        name=forecast_var.name,
        encoding=forecast_var.encoding.model_copy(update={"chunks": CHUNKS, "shards": SHARDS}),
        attrs=forecast_var.attrs.model_copy(update={"comment": comment}),
        internal_attrs=GfsAnalysisInternalAttrs(**attrs.model_dump(), average_over_step=average_over_step),
    )


GFS_ANALYSIS_DATA_VARS: tuple[GfsAnalysisDataVar, ...] = tuple(analysis_data_var(v) for v in GFS_DATA_VARS)


class NoaaGfsAnalysisTemplateConfig(GlobalQuarterDegreeGrid, TemplateConfig[GfsAnalysisDataVar]):
    dims: tuple[str, ...] = ("time", "latitude", "longitude")
    append_dim: str = "time"
    append_dim_start: pd.Timestamp = timestamp("2021-05-01T00:00")
    append_dim_frequency: pd.Timedelta = timedelta("1h")

    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return DatasetAttributes(
            dataset_id="noaa-gfs-analysis",
            dataset_version="0.1.0",
            name="NOAA GFS analysis",
            description="Hourly weather from the Global Forecast System (GFS) operated by NOAA NWS NCEP: the "
            "analysis and first hours of every 6-hourly run, joined into one time series.",
            attribution="NOAA NWS NCEP GFS data, reformatted to Zarr by the reformatters project.",
            spatial_domain="Global",
            spatial_resolution="0.25 degrees (~20 km)",
            time_domain=f"{self.append_dim_start.isoformat()} UTC to present",
            time_resolution="1 hour",
        )

    def dimension_coordinates(self) -> dict[str, Any]:
        return {
            "time": self.first_append_dim_coordinate(),
            "latitude": self.latitudes(),
            "longitude": self.longitudes(),
        }

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        return {"spatial_ref": ((), np.int64(0))}

    @property
    def coords(self) -> Sequence[Coordinate]:
        dim_coords = self.dimension_coordinates()
        return (
            Coordinate(
                name="time",
                encoding=time_encoding((APPEND_DIM_COORDINATE_CHUNK_SIZE,), TIME_UNITS),
                attrs=CoordinateAttrs(
                    long_name="Time",
                    standard_name="time",
                    axis="T",
                    comment="Instant values come from the run initialized at or before the time (lead 0-5 h); "
                    "windowed values from the run initialized before it (lead 1-6 h).",
                ),
            ),
            *latitude_longitude_coordinates(len(dim_coords["latitude"]), len(dim_coords["longitude"])),
            sphere_spatial_ref_coordinate(),
        )

    @property
    def data_vars(self) -> Sequence[GfsAnalysisDataVar]:
        return GFS_ANALYSIS_DATA_VARS
