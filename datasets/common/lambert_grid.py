"""Coordinates of a GRIB2 Lambert conformal grid (template 3.30) on a sphere, derived with pyproj."""

import numpy as np
import pyproj

from datasets.common.config_models import FrozenBaseModel
from datasets.common.sources.grib import GridSpec, LambertParameters


def _signed_longitude(degrees: float) -> float:
    return (degrees + 180) % 360 - 180


class LambertConformalGrid(FrozenBaseModel):
    """Nx x Ny points spaced Dx, Dy from the first point, which GRIB places at the south-west corner
    (rows scanned south to north). Stored arrays run north to south, so `y` decreases."""

    nx: int
    ny: int
    first_latitude: float
    first_longitude: float
    projection: LambertParameters

    @classmethod
    def from_grid_spec(cls, spec: GridSpec) -> "LambertConformalGrid":
        assert spec.lambert is not None, f"not a Lambert conformal grid: {spec.grid_type}"
        return cls(
            nx=spec.ni,
            ny=spec.nj,
            first_latitude=spec.first_latitude,
            first_longitude=spec.first_longitude,
            projection=spec.lambert,
        )

    def grid_spec(self) -> GridSpec:
        return GridSpec(
            grid_type="lambert",
            ni=self.nx,
            nj=self.ny,
            first_latitude=self.first_latitude,
            first_longitude=self.first_longitude,
            lambert=self.projection,
        )

    def crs(self) -> pyproj.CRS:
        p = self.projection
        assert p.lad in (p.latin1, p.latin2), "Dx and Dy must be true lengths at a standard parallel"
        return pyproj.CRS.from_proj4(
            f"+proj=lcc +lat_0={p.lad} +lon_0={_signed_longitude(p.lov)} +lat_1={p.latin1} +lat_2={p.latin2} "
            f"+a={p.earth_radius} +b={p.earth_radius} +units=m +no_defs +type=crs"
        )

    def _transformer(self) -> pyproj.Transformer:
        crs = self.crs()
        return pyproj.Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)

    def x(self) -> np.ndarray:
        x0, _ = self._transformer().transform(self.first_longitude, self.first_latitude)
        return x0 + self.projection.dx * np.arange(self.nx)

    def y(self) -> np.ndarray:
        _, y0 = self._transformer().transform(self.first_longitude, self.first_latitude)
        return y0 + self.projection.dy * np.arange(self.ny)[::-1]

    def latitude_longitude(self) -> tuple[np.ndarray, np.ndarray]:
        """2-D (y, x) latitude and longitude (-180..180) of every point."""
        x, y = np.meshgrid(self.x(), self.y())
        longitude, latitude = self._transformer().transform(x, y, direction="INVERSE")
        return latitude, longitude
