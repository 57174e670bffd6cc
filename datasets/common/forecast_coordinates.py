"""Coordinates datasets share: init/lead/valid time, forecast lengths, ensemble members, lat/lon, CRS."""

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyproj
import xarray as xr

from datasets.common.config_models import (
    APPEND_DIM_COORDINATE_CHUNK_SIZE,
    BLOSC_8BYTE_ZSTD_LEVEL3_SHUFFLE,
    Coordinate,
    CoordinateAttrs,
    Encoding,
)
from datasets.common.results import VariableResult
from datasets.common.template_config import CoordinateValues
from datasets.common.timestamps import timestamp

TIME_UNITS = "seconds since 1970-01-01"
NAT_INT64 = int(np.iinfo(np.int64).min)
NCEP_EARTH_RADIUS_M = 6_371_229.0


def time_encoding(chunks: tuple[int, ...], units: str, fill_value: int = 0) -> Encoding:
    return Encoding(
        dtype="int64",
        chunks=chunks,
        fill_value=fill_value,
        compressors=(BLOSC_8BYTE_ZSTD_LEVEL3_SHUFFLE,),
        units=units,
        calendar="proleptic_gregorian" if units == TIME_UNITS else None,
    )


def float64_encoding(*chunks: int) -> Encoding:
    return Encoding(dtype="float64", chunks=chunks, fill_value=np.nan, compressors=(BLOSC_8BYTE_ZSTD_LEVEL3_SHUFFLE,))


def forecast_time_coordinates(n_leads: int) -> list[Coordinate]:
    """init_time, lead_time, valid_time and the expected/ingested forecast lengths along init_time."""
    append_chunk = (APPEND_DIM_COORDINATE_CHUNK_SIZE,)
    return [
        Coordinate(
            name="init_time",
            encoding=time_encoding(append_chunk, TIME_UNITS),
            attrs=CoordinateAttrs(
                long_name="Forecast initialization time", standard_name="forecast_reference_time", axis="T"
            ),
        ),
        Coordinate(
            name="lead_time",
            encoding=time_encoding((n_leads,), "seconds"),
            attrs=CoordinateAttrs(long_name="Forecast lead time", standard_name="forecast_period"),
        ),
        Coordinate(
            name="valid_time",
            # as many values per chunk as the 1-D coordinates: a full-width (100 000, leads) chunk would cost
            # hundreds of MB to rewrite on every metadata write
            encoding=time_encoding((max(1, APPEND_DIM_COORDINATE_CHUNK_SIZE // n_leads), n_leads), TIME_UNITS),
            attrs=CoordinateAttrs(long_name="Valid time", standard_name="time"),
        ),
        Coordinate(
            name="expected_forecast_length",
            encoding=time_encoding(append_chunk, "seconds"),
            attrs=CoordinateAttrs(long_name="Expected forecast length"),
        ),
        Coordinate(
            name="ingested_forecast_length",
            encoding=time_encoding(append_chunk, "seconds", fill_value=NAT_INT64),
            attrs=CoordinateAttrs(
                long_name="Ingested forecast length",
                comment="The longest lead time written for this initialization time; missing before ingestion.",
            ),
        ),
    ]


def latitude_longitude_coordinates(n_latitudes: int, n_longitudes: int) -> list[Coordinate]:
    return [
        Coordinate(
            name="latitude",
            encoding=float64_encoding(n_latitudes),
            attrs=CoordinateAttrs(units="degrees_north", long_name="Latitude", standard_name="latitude", axis="Y"),
        ),
        Coordinate(
            name="longitude",
            encoding=float64_encoding(n_longitudes),
            attrs=CoordinateAttrs(units="degrees_east", long_name="Longitude", standard_name="longitude", axis="X"),
        ),
    ]


def spatial_ref_coordinate(crs: pyproj.CRS, comment: str) -> Coordinate:
    cf = crs.to_cf()
    return Coordinate(
        name="spatial_ref",
        encoding=Encoding(dtype="int64", chunks=(1,), fill_value=0),
        attrs=CoordinateAttrs(crs_wkt=cf.pop("crs_wkt"), comment=comment, extra=cf),
    )


def sphere_latitude_longitude_crs(radius_m: float) -> pyproj.CRS:
    return pyproj.CRS.from_proj4(f"+proj=longlat +a={radius_m} +b={radius_m} +no_defs +type=crs")


def sphere_comment(radius_m: float = NCEP_EARTH_RADIUS_M, source: str = "as used by NCEP") -> str:
    return f"Spherical earth with radius {radius_m:.0f} m, {source}."


def sphere_spatial_ref_coordinate(radius_m: float = NCEP_EARTH_RADIUS_M, source: str = "as used by NCEP") -> Coordinate:
    """spatial_ref of a latitude/longitude grid on a spherical earth."""
    return spatial_ref_coordinate(sphere_latitude_longitude_crs(radius_m), sphere_comment(radius_m, source))


class GlobalQuarterDegreeGrid:
    """Latitude 90 to -90 and longitude -180 to 179.75 every 0.25 degrees, for a TemplateConfig to inherit."""

    def latitudes(self) -> np.ndarray:
        return np.linspace(90, -90, 721)

    def longitudes(self) -> np.ndarray:
        return np.arange(-180, 180, 0.25)


def derive_forecast_coordinates(ds: xr.Dataset, expected_forecast_length: pd.Timedelta) -> dict[str, CoordinateValues]:
    init_times = ds["init_time"]
    return {
        "valid_time": init_times + ds["lead_time"],
        "expected_forecast_length": (
            ("init_time",),
            np.full(init_times.size, expected_forecast_length.to_timedelta64(), dtype="timedelta64[ns]"),
        ),
        "ingested_forecast_length": (
            ("init_time",),
            np.full(init_times.size, np.timedelta64("NaT", "ns"), dtype="timedelta64[ns]"),
        ),
    }


def record_ingested_forecast_length(
    ds: xr.Dataset, results: Mapping[str, VariableResult], append_dim: str
) -> xr.Dataset:
    """`ds` with the longest lead time any variable wrote per init (in `results`) as its ingested_forecast_length."""
    longest: dict[pd.Timestamp, int] = {}
    for result in results.values():
        for position, maxima in result.coverage.items():
            if "lead_time" in maxima:
                key = timestamp(position)
                longest[key] = max(longest.get(key, 0), int(maxima["lead_time"]))
    ingested = ds["ingested_forecast_length"].values.copy()
    for i, position in enumerate(pd.DatetimeIndex(ds[append_dim].values)):
        if position in longest:
            ingested[i] = np.timedelta64(longest[timestamp(position)], "s")
    return ds.assign_coords(ingested_forecast_length=ds["ingested_forecast_length"].copy(data=ingested))


def ensemble_member_coordinate(n_members: int, comment: str) -> Coordinate:
    return Coordinate(
        name="ensemble_member",
        encoding=Encoding(
            dtype="int64", chunks=(n_members,), fill_value=-1, compressors=(BLOSC_8BYTE_ZSTD_LEVEL3_SHUFFLE,)
        ),
        attrs=CoordinateAttrs(long_name="Ensemble member", standard_name="realization", units="1", comment=comment),
    )
