"""The layouts datasets share, for a TemplateConfig to inherit: a forecast (init_time, lead_time and, for an
ensemble, ensemble_member) or an analysis (time), on a latitude/longitude grid or, with LambertConformalGridTemplate
listed after the layout, a projected one. A dataset then declares only what is its own: attributes, the append
dim's start and frequency, lead times, grid and variables."""

from abc import abstractmethod
from typing import Any

import dask.array
import numpy as np
import pandas as pd
import xarray as xr

from datasets.common.config_models import (
    APPEND_DIM_COORDINATE_CHUNK_SIZE,
    Coordinate,
    CoordinateAttrs,
    DataVar,
)
from datasets.common.forecast_coordinates import (
    TIME_UNITS,
    derive_forecast_coordinates,
    ensemble_member_coordinate,
    float64_encoding,
    forecast_time_coordinates,
    latitude_longitude_coordinates,
    spatial_ref_coordinate,
    sphere_comment,
    sphere_spatial_ref_coordinate,
    time_encoding,
)
from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.template_config import CoordinateValues, TemplateConfig


class GriddedTemplateConfig[DV: DataVar[Any]](TemplateConfig[DV]):
    """The spatial part: latitude and longitude dims and a spherical earth's spatial_ref."""

    @abstractmethod
    def latitudes(self) -> np.ndarray: ...

    @abstractmethod
    def longitudes(self) -> np.ndarray: ...

    def spatial_ref(self) -> Coordinate:
        return sphere_spatial_ref_coordinate()

    def spatial_dimension_coordinates(self) -> dict[str, np.ndarray]:
        return {"latitude": self.latitudes(), "longitude": self.longitudes()}

    def spatial_coordinates(self) -> list[Coordinate]:
        return [*latitude_longitude_coordinates(len(self.latitudes()), len(self.longitudes())), self.spatial_ref()]

    def derive_spatial_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        return {"spatial_ref": ((), np.int64(0))}


class ForecastTemplateConfig[DV: DataVar[Any]](GriddedTemplateConfig[DV]):
    """init_time x lead_time (x ensemble_member, placed where `dims` says) x the grid."""

    dims: tuple[str, ...] = ("init_time", "lead_time", "latitude", "longitude")
    append_dim: str = "init_time"
    forecast_length: pd.Timedelta  # every init's expected_forecast_length
    ensemble_members: int = 0
    ensemble_member_comment: str = ""  # which member is which

    @abstractmethod
    def lead_times(self) -> pd.TimedeltaIndex: ...

    def dimension_coordinates(self) -> dict[str, Any]:
        values = {
            "init_time": self.first_append_dim_coordinate(),
            "lead_time": self.lead_times(),
            "ensemble_member": np.arange(self.ensemble_members),
            **self.spatial_dimension_coordinates(),
        }
        return {dim: values[dim] for dim in self.dims}

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        return derive_forecast_coordinates(ds, self.forecast_length) | self.derive_spatial_coordinates(ds)

    @property
    def coords(self) -> list[Coordinate]:
        coords = [*forecast_time_coordinates(len(self.lead_times())), *self.spatial_coordinates()]
        if "ensemble_member" in self.dims:
            coords.append(ensemble_member_coordinate(self.ensemble_members, self.ensemble_member_comment))
        return coords


class AnalysisTemplateConfig[DV: DataVar[Any]](GriddedTemplateConfig[DV]):
    """time x the grid."""

    dims: tuple[str, ...] = ("time", "latitude", "longitude")
    append_dim: str = "time"
    time_comment: str | None = None  # where each time's values come from

    def dimension_coordinates(self) -> dict[str, Any]:
        return {"time": self.first_append_dim_coordinate(), **self.spatial_dimension_coordinates()}

    def derive_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        return self.derive_spatial_coordinates(ds)

    @property
    def coords(self) -> list[Coordinate]:
        time = Coordinate(
            name="time",
            encoding=time_encoding((APPEND_DIM_COORDINATE_CHUNK_SIZE,), TIME_UNITS),
            attrs=CoordinateAttrs(long_name="Time", standard_name="time", axis="T", comment=self.time_comment),
        )
        return [time, *self.spatial_coordinates()]


class LambertConformalGridTemplate[DV: DataVar[Any]](GriddedTemplateConfig[DV]):
    """A Lambert conformal grid, listed after a layout above (`class C(ForecastTemplateConfig[DV],
    LambertConformalGridTemplate[DV])`, so the layout's field defaults win): y and x dims (put them in `dims`), 2-D
    latitude and longitude derived from the grid (kept out of the checked-in template, ~10 MB each)."""

    grid: LambertConformalGrid

    def latitudes(self) -> np.ndarray:
        return self.grid.latitude_longitude()[0]

    def longitudes(self) -> np.ndarray:
        return self.grid.latitude_longitude()[1]

    def spatial_dimension_coordinates(self) -> dict[str, np.ndarray]:
        return {"y": self.grid.y(), "x": self.grid.x()}

    def spatial_coordinates(self) -> list[Coordinate]:
        spatial = (self.grid.ny, self.grid.nx)
        return [
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
        ]

    def derive_spatial_coordinates(self, ds: xr.Dataset) -> dict[str, CoordinateValues]:
        latitude, longitude = self.grid.latitude_longitude()
        return {
            "latitude": (("y", "x"), latitude),
            "longitude": (("y", "x"), longitude),
            "spatial_ref": ((), np.int64(0)),
        }

    def build_template(self) -> xr.Dataset:
        ds = super().build_template()
        return ds.assign_coords(
            {name: ds[name].copy(data=dask.array.from_array(ds[name].values)) for name in ("latitude", "longitude")}
        )
