import numpy as np
import pandas as pd
import pyproj

from datasets.common.config_models import BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE
from datasets.common.timestamps import timestamp
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS, NoaaGfsForecastTemplateConfig

CONFIG = NoaaGfsForecastTemplateConfig()


def test_dimensions_and_coordinate_values() -> None:
    ds = CONFIG.get_template(timestamp("2021-05-02T00:00"))
    assert ds.sizes == {"init_time": 4, "lead_time": 209, "latitude": 721, "longitude": 1440}
    assert list(ds["init_time"].values) == list(pd.date_range("2021-05-01T00", periods=4, freq="6h"))
    hours = ds["lead_time"].values / np.timedelta64(1, "h")
    np.testing.assert_array_equal(hours, [*range(121), *range(123, 385, 3)])
    np.testing.assert_array_equal(ds["latitude"].values, 90 - 0.25 * np.arange(721))
    np.testing.assert_array_equal(ds["longitude"].values, -180 + 0.25 * np.arange(1440))
    assert ds["valid_time"].dims == ("init_time", "lead_time")
    np.testing.assert_array_equal(ds["valid_time"].values, ds["init_time"].values[:, None] + ds["lead_time"].values)
    assert (ds["expected_forecast_length"].values == np.timedelta64(384, "h")).all()
    assert np.isnat(ds["ingested_forecast_length"].values).all()
    assert ds["spatial_ref"].dims == ()


def test_coordinate_encodings() -> None:
    ds = CONFIG.get_template(timestamp("2021-05-02T00:00"))
    for name in ("init_time", "valid_time"):
        assert ds[name].encoding["units"] == "seconds since 1970-01-01"
        assert ds[name].encoding["calendar"] == "proleptic_gregorian"
        assert ds[name].encoding["dtype"] == np.int64
    for name in ("lead_time", "expected_forecast_length", "ingested_forecast_length"):
        assert ds[name].encoding["units"] == "seconds"
        assert ds[name].encoding["dtype"] == np.int64
    for name in ("latitude", "longitude"):
        assert ds[name].dtype == np.float64


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
        assert encoding["dtype"] == np.float32
        assert np.isnan(encoding["fill_value"])
        assert encoding["chunks"] == (1, 105, 121, 121)
        assert encoding["shards"] == (1, 210, 726, 726)
        assert encoding["compressors"] == [BLOSC_4BYTE_ZSTD_LEVEL3_SHUFFLE]


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
