"""Grids of generated GRIB2 archives as NCEP and DWD encode them: global and regional lat/lon, Lambert conformal."""

from abc import abstractmethod

import eccodes
import numpy as np

from datasets.common.config_models import FrozenBaseModel
from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.sources.grib import GridSpec


class RegularArchiveGrid(FrozenBaseModel):
    """What the regular lat/lon grids below share."""

    resolution: float

    @property
    @abstractmethod
    def latitudes(self) -> np.ndarray:
        """North to south, the order decoded values come in."""

    @property
    @abstractmethod
    def longitudes(self) -> np.ndarray: ...

    @property
    def ni(self) -> int:
        return len(self.longitudes)

    @property
    def nj(self) -> int:
        return len(self.latitudes)

    @property
    @abstractmethod
    def j_scans_positively(self) -> bool: ...

    @abstractmethod
    def grid_spec(self) -> GridSpec: ...

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of every point, rows north to south."""
        latitude, longitude = np.meshgrid(self.latitudes, self.longitudes, indexing="ij")
        return latitude, longitude

    def set_grid_keys(self, handle: object) -> None:
        for key, value in (
            ("Ni", self.ni),
            ("Nj", self.nj),
            ("iScansNegatively", 0),
            ("jScansPositively", int(self.j_scans_positively)),
        ):
            eccodes.codes_set_long(handle, key, value)
        spec = self.grid_spec()
        for key, value in (
            ("latitudeOfFirstGridPointInDegrees", spec.first_latitude),
            ("longitudeOfFirstGridPointInDegrees", spec.first_longitude),
            ("latitudeOfLastGridPointInDegrees", spec.last_latitude),
            ("longitudeOfLastGridPointInDegrees", spec.last_longitude),
            ("iDirectionIncrementInDegrees", self.resolution),
            ("jDirectionIncrementInDegrees", self.resolution),
        ):
            eccodes.codes_set_double(handle, key, value)


class ArchiveGrid(RegularArchiveGrid):
    """A global regular lat/lon grid, 90 to -90: from longitude 0 as NCEP writes it, from -180 (encoded 180) as
    ECMWF open data does."""

    first_longitude: float = 0.0

    @property
    def latitudes(self) -> np.ndarray:
        return 90 - np.arange(round(180 / self.resolution) + 1) * self.resolution

    @property
    def longitudes(self) -> np.ndarray:
        return self.first_longitude + np.arange(round(360 / self.resolution)) * self.resolution

    @property
    def j_scans_positively(self) -> bool:
        return False

    def grid_spec(self) -> GridSpec:
        return GridSpec.global_latitude_longitude(self.resolution, self.first_longitude % 360)


class RegionalGrid(RegularArchiveGrid):
    """A regular lat/lon grid over a region, written south to north (as DWD does). Longitudes run west to east
    and may start west of 0; GRIB encodes them on the 0-360 circle."""

    south: float
    north: float
    west: float
    east: float

    @property
    def latitudes(self) -> np.ndarray:
        return self.north - np.arange(round((self.north - self.south) / self.resolution) + 1) * self.resolution

    @property
    def longitudes(self) -> np.ndarray:
        return self.west + np.arange(round((self.east - self.west) / self.resolution) + 1) * self.resolution

    @property
    def j_scans_positively(self) -> bool:
        return True

    def grid_spec(self) -> GridSpec:
        return GridSpec(
            grid_type="regular_ll",
            ni=self.ni,
            nj=self.nj,
            first_latitude=self.south,
            first_longitude=self.west % 360,
            last_latitude=self.north,
            last_longitude=self.east % 360,
        )


class LambertArchiveGrid(FrozenBaseModel):
    """A Lambert conformal grid as NCEP writes it (template 3.30): rows scanned south to north, u/v grid-relative."""

    grid: LambertConformalGrid

    @property
    def ni(self) -> int:
        return self.grid.nx

    @property
    def nj(self) -> int:
        return self.grid.ny

    def grid_spec(self) -> GridSpec:
        return self.grid.grid_spec()

    @property
    def j_scans_positively(self) -> bool:
        return True

    def set_grid_keys(self, handle: object) -> None:
        eccodes.codes_set_long(handle, "gridDefinitionTemplateNumber", 30)
        for key, value in (
            ("Nx", self.ni),
            ("Ny", self.nj),
            ("iScansNegatively", 0),
            ("jScansPositively", int(self.j_scans_positively)),
            ("jPointsAreConsecutive", 0),
            ("projectionCentreFlag", 0),
            ("resolutionAndComponentFlags", 56),
        ):
            eccodes.codes_set_long(handle, key, value)
        p = self.grid.projection
        for key, value in (
            ("latitudeOfFirstGridPointInDegrees", self.grid.first_latitude),
            ("longitudeOfFirstGridPointInDegrees", self.grid.first_longitude),
            ("LaDInDegrees", p.lad),
            ("LoVInDegrees", p.lov),
            ("Latin1InDegrees", p.latin1),
            ("Latin2InDegrees", p.latin2),
            ("DxInMetres", p.dx),
            ("DyInMetres", p.dy),
        ):
            eccodes.codes_set_double(handle, key, value)

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """eccodes' own latitude and longitude of every point, rows north to south."""
        handle = eccodes.codes_grib_new_from_samples("GRIB2")
        try:
            eccodes.codes_set_long(handle, "shapeOfTheEarth", 6)
            self.set_grid_keys(handle)
            eccodes.codes_set_values(handle, np.zeros(self.ni * self.nj))
            shape = (self.nj, self.ni)
            latitude = eccodes.codes_get_array(handle, "latitudes").reshape(shape)[::-1]
            return latitude, eccodes.codes_get_array(handle, "longitudes").reshape(shape)[::-1]
        finally:
            eccodes.codes_release(handle)


type Grid = ArchiveGrid | RegionalGrid | LambertArchiveGrid
