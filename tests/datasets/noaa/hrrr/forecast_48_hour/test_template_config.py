import numpy as np
import pyproj

from datasets.common.sources.synthetic_grids import LambertArchiveGrid
from datasets.common.timestamps import timestamp
from datasets.noaa.hrrr.forecast_48_hour.region_job import NoaaHrrrForecast48HourRegionJob
from datasets.noaa.hrrr.forecast_48_hour.template_config import (
    HRRR_DATA_VARS,
    HRRR_GRID,
    NoaaHrrrForecast48HourTemplateConfig,
)

CONFIG = NoaaHrrrForecast48HourTemplateConfig()


def test_dimensions_and_coordinates() -> None:
    ds = CONFIG.get_template(timestamp("2018-07-14T12:00"))
    assert ds.sizes == {"init_time": 4, "lead_time": 49, "y": 1059, "x": 1799}
    np.testing.assert_array_equal(ds["lead_time"].values / np.timedelta64(1, "h"), range(49))
    np.testing.assert_allclose(np.diff(ds["x"].values), 3000)
    np.testing.assert_allclose(np.diff(ds["y"].values), -3000)  # rows run north to south, as decoded
    assert ds["latitude"].dims == ds["longitude"].dims == ("y", "x")
    assert (ds["expected_forecast_length"].values == np.timedelta64(48, "h")).all()
    # the first GRIB point is the south-west corner, stored in the last row
    corner = (ds["latitude"].values[-1, 0], ds["longitude"].values[-1, 0])
    np.testing.assert_allclose(corner, (HRRR_GRID.first_latitude, HRRR_GRID.first_longitude - 360), rtol=0, atol=1e-9)


def test_latitude_longitude_match_eccodes_for_the_hrrr_grid() -> None:
    ds = CONFIG.get_template(timestamp("2018-07-13T18:00"))
    latitude, longitude = LambertArchiveGrid(grid=HRRR_GRID).mesh()  # eccodes, from the GRIB grid description
    np.testing.assert_allclose(ds["latitude"].values, latitude, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ds["longitude"].values, (longitude + 180) % 360 - 180, rtol=0, atol=1e-4)


def test_spatial_ref_is_the_lambert_projection_on_the_ncep_sphere() -> None:
    attrs = CONFIG.build_template()["spatial_ref"].attrs
    crs = pyproj.CRS.from_wkt(attrs["crs_wkt"])
    assert crs.is_projected
    assert attrs["grid_mapping_name"] == "lambert_conformal_conic"
    assert list(attrs["standard_parallel"]) == [38.5, 38.5]
    assert (attrs["latitude_of_projection_origin"], attrs["longitude_of_central_meridian"]) == (38.5, -97.5)
    assert attrs["semi_major_axis"] == attrs["semi_minor_axis"] == 6_371_229


def test_checked_in_template_leaves_2d_coordinates_to_get_template() -> None:
    stored = CONFIG.template_path()
    assert not list((stored / "latitude").glob("c/**/*"))
    assert list((stored / "x").glob("c/*"))
    ds = CONFIG.get_template(timestamp("2018-07-13T18:00"))
    assert np.isfinite(ds["latitude"].values).all()
    assert ds["latitude"].encoding["chunks"] == (1059, 1799)


def test_variables_and_encodings() -> None:
    ds = CONFIG.build_template()
    assert len(HRRR_DATA_VARS) == 26
    for var in HRRR_DATA_VARS:
        encoding = ds[var.name].encoding
        assert ds[var.name].dims == ("init_time", "lead_time", "y", "x")
        assert encoding["chunks"] == (1, 49, 265, 300)
        assert encoding["shards"] == (1, 49, 1060, 1800)
    by_name = {v.name: v for v in HRRR_DATA_VARS}
    rates = {n for n, v in by_name.items() if v.internal_attrs.deaccumulate_to_rate}
    assert rates == {"precipitation_surface", "snowfall_surface"}
    assert all(by_name[n].internal_attrs.window_reset_hours == 1 for n in rates)
    mslp = by_name["pressure_reduced_to_mean_sea_level"].internal_attrs
    assert (mslp.grib_element, mslp.alternative_grib_elements) == ("MSLMA", ("PRMSL",))
    assert {v.attrs.standard_name for n, v in by_name.items() if n.startswith("wind_u")} == {"x_wind"}
    assert NoaaHrrrForecast48HourRegionJob.grid == HRRR_GRID.grid_spec()
