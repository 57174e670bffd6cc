import numpy as np
import pyproj

from datasets.common.timestamps import timestamp
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, NoaaGfsForecastTemplateConfig

CONFIG = NoaaGfsForecastTemplateConfig()


def test_dimensions_and_coordinate_values() -> None:
    ds = CONFIG.get_template(timestamp("2021-05-02T00:00"))
    assert ds.sizes == {"init_time": 4, "lead_time": 209, "latitude": 721, "longitude": 1440}
    hours = ds["lead_time"].values / np.timedelta64(1, "h")
    np.testing.assert_array_equal(hours, [*range(121), *range(123, 385, 3)])
    np.testing.assert_array_equal(ds["latitude"].values, 90 - 0.25 * np.arange(721))
    np.testing.assert_array_equal(ds["longitude"].values, -180 + 0.25 * np.arange(1440))
    assert (ds["expected_forecast_length"].values == np.timedelta64(384, "h")).all()


def test_spatial_ref_is_the_ncep_sphere() -> None:
    ds = CONFIG.build_template()
    crs = pyproj.CRS.from_wkt(ds["spatial_ref"].attrs["crs_wkt"])
    assert crs.is_geographic
    ellipsoid = crs.ellipsoid
    assert ellipsoid is not None
    assert ellipsoid.semi_major_metre == 6_371_229
    assert ellipsoid.semi_minor_metre == 6_371_229


def test_all_25_variables_with_storage_encoding() -> None:
    ds = CONFIG.build_template()
    assert len(ds.data_vars) == 25
    for var in GFS_DATA_VARS:
        encoding = ds[var.name].encoding
        assert ds[var.name].dims == ("init_time", "lead_time", "latitude", "longitude")
        assert encoding["chunks"] == (1, 105, 121, 121)
        assert encoding["shards"] == (1, 210, 726, 726)


def test_mantissa_bits_and_flags() -> None:
    bits = {v.name: v.internal_attrs.keep_mantissa_bits for v in GFS_DATA_VARS}
    categorical = {n for n in bits if n.startswith("categorical_")}
    assert {n for n, b in bits.items() if b == "no-rounding"} == categorical
    assert {n for n, b in bits.items() if b == 6} == {n for n in bits if n.startswith("wind_")}
    assert {n for n, b in bits.items() if b == 10} == {v.name for v in GFS_DATA_VARS if v.attrs.units == "Pa"}
    assert all(b == 7 for n, b in bits.items() if not n.startswith(("categorical_", "wind_", "pressure")))
    for var in GFS_DATA_VARS:
        assert (var.attrs.flag_values is not None) == (var.name in categorical)


def test_sentinel_comments_and_windows() -> None:
    by_name = {v.name: v for v in GFS_DATA_VARS}
    assert "no precipitation" in (by_name["percent_frozen_precipitation_surface"].attrs.comment or "")
    assert "no cloud ceiling" in (by_name["geopotential_height_cloud_ceiling"].attrs.comment or "")
    windowed = {v.name for v in GFS_DATA_VARS if v.internal_attrs.window_kind}
    assert windowed == {v.name for v in GFS_DATA_VARS if v.attrs.step_type != "instant"}
    assert [v.name for v in GFS_DATA_VARS if v.internal_attrs.deaccumulate_to_rate] == ["precipitation_surface"]
    assert all(v.internal_attrs.window_reset_hours == 6 for v in GFS_DATA_VARS if v.name in windowed)
    converted = {v.name for v in GFS_DATA_VARS if v.internal_attrs.unit_conversion == "kelvin_to_celsius"}
    assert converted == {v.name for v in GFS_DATA_VARS if v.attrs.units == "degree_Celsius"}
