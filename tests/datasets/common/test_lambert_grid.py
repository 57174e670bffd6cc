from pathlib import Path

import eccodes
import numpy as np

from datasets.common.lambert_grid import LambertConformalGrid
from datasets.common.sources.grib import GridSpec, iter_messages

NAM = Path(__file__).parents[2] / "data" / "grib" / "nam.t00z.awp21100.tm00.grib2"


def eccodes_latitude_longitude(message: bytes, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    """eccodes' own coordinates, rows turned north to south like decoded values."""
    handle = eccodes.codes_new_from_message(message)
    try:
        latitude = eccodes.codes_get_array(handle, "latitudes").reshape(ny, nx)[::-1]
        longitude = eccodes.codes_get_array(handle, "longitudes").reshape(ny, nx)[::-1]
    finally:
        eccodes.codes_release(handle)
    return latitude, longitude


def test_coordinates_from_the_nam_grid_description_match_eccodes() -> None:
    message = next(iter_messages(NAM.read_bytes()))
    grid = LambertConformalGrid.from_grid_spec(GridSpec.from_message(message))
    assert (grid.nx, grid.ny, grid.projection.dx) == (93, 65, 81271.0)

    latitude, longitude = grid.latitude_longitude()

    expected_latitude, expected_longitude = eccodes_latitude_longitude(message, grid.nx, grid.ny)
    np.testing.assert_allclose(latitude, expected_latitude, rtol=0, atol=1e-4)
    np.testing.assert_allclose(longitude, (expected_longitude + 180) % 360 - 180, rtol=0, atol=1e-4)
    np.testing.assert_allclose(np.diff(grid.x()), grid.projection.dx)
    np.testing.assert_allclose(np.diff(grid.y()), -grid.projection.dy)


def test_grid_spec_round_trip_and_projection_mismatch() -> None:
    spec = GridSpec.from_message(next(iter_messages(NAM.read_bytes())))
    grid = LambertConformalGrid.from_grid_spec(spec)
    assert grid.grid_spec() == spec.model_copy(update={"last_latitude": None, "last_longitude": None})
    moved = grid.model_copy(update={"projection": grid.projection.model_copy(update={"lov": 262.5, "dx": 3000.0})})
    assert moved.grid_spec().mismatches(spec) == ["lov 265.0 != expected 262.5", "dx 81271.0 != expected 3000.0"]
    crs = grid.crs().to_cf()
    assert crs["grid_mapping_name"] == "lambert_conformal_conic"
    assert crs["longitude_of_central_meridian"] == -95
