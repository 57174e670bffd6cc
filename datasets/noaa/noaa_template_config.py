"""Template pieces every NOAA dataset shares: coordinate encodings and the NCEP sphere."""

import numpy as np
import pyproj

from datasets.common.config_models import BLOSC_8BYTE_ZSTD_LEVEL3_SHUFFLE, CoordinateAttrs, Encoding

# NCEP grids are on a sphere of this radius (not WGS84).
EARTH_RADIUS_M = 6_371_229.0
TIME_UNITS = "seconds since 1970-01-01"
# int64 stand-in for NaT, the fill value of time coordinates that may be missing.
NAT_INT64 = int(np.iinfo(np.int64).min)


def time_encoding(chunks: tuple[int, ...], units: str, fill_value: int = 0) -> Encoding:
    return Encoding(
        dtype="int64",
        chunks=chunks,
        fill_value=fill_value,
        compressors=(BLOSC_8BYTE_ZSTD_LEVEL3_SHUFFLE,),
        units=units,
        calendar="proleptic_gregorian" if units == TIME_UNITS else None,
    )


def float64_encoding(chunks: tuple[int, ...]) -> Encoding:
    return Encoding(dtype="float64", chunks=chunks, fill_value=np.nan, compressors=(BLOSC_8BYTE_ZSTD_LEVEL3_SHUFFLE,))


def ncep_sphere_proj4() -> str:
    return f"+a={EARTH_RADIUS_M} +b={EARTH_RADIUS_M} +no_defs +type=crs"


def spatial_ref_attrs(crs: pyproj.CRS) -> CoordinateAttrs:
    """CF grid-mapping attributes (and the WKT) of a CRS on the NCEP sphere."""
    cf = crs.to_cf()
    return CoordinateAttrs(
        crs_wkt=cf.pop("crs_wkt"),
        comment=f"Spherical earth with radius {EARTH_RADIUS_M:.0f} m, as used by NCEP.",
        extra=cf,
    )


def geographic_spatial_ref_attrs() -> CoordinateAttrs:
    return spatial_ref_attrs(pyproj.CRS.from_proj4(f"+proj=longlat {ncep_sphere_proj4()}"))
