import numpy as np
import pandas as pd
import pyproj

from datasets.common.timestamps import timestamp
from datasets.dwd.icon_eu.forecast.region_job import DwdIconEuForecastRegionJob
from datasets.dwd.icon_eu.forecast.template_config import ICON_EU_DATA_VARS, DwdIconEuForecastTemplateConfig

CONFIG = DwdIconEuForecastTemplateConfig()


def test_dimensions_and_coordinate_values() -> None:
    ds = CONFIG.get_template(timestamp("2026-01-02T00:00"))
    assert ds.sizes == {"init_time": 8, "lead_time": 93, "latitude": 657, "longitude": 1377}
    hours = ds["lead_time"].values / np.timedelta64(1, "h")
    np.testing.assert_array_equal(hours, [*range(79), *range(81, 121, 3)])
    np.testing.assert_array_equal(ds["latitude"].values, 70.5 - 0.0625 * np.arange(657))
    np.testing.assert_array_equal(ds["longitude"].values, -23.5 + 0.0625 * np.arange(1377))
    assert (ds["latitude"].values[-1], ds["longitude"].values[-1]) == (29.5, 62.5)


def test_expected_forecast_length_follows_the_run_hour() -> None:
    ds = CONFIG.get_template(timestamp("2026-01-02T00:00"))
    lengths = dict(
        zip(pd.DatetimeIndex(ds["init_time"].values).hour, ds["expected_forecast_length"].values, strict=True)
    )
    assert {h: int(v / np.timedelta64(1, "h")) for h, v in lengths.items()} == {
        0: 120,
        3: 30,
        6: 120,
        9: 30,
        12: 120,
        15: 30,
        18: 120,
        21: 30,
    }


def test_region_job_grid_is_the_template_grid_as_encoded() -> None:
    grid = DwdIconEuForecastRegionJob.grid
    assert (grid.nj, grid.ni) == (len(CONFIG.latitudes()), len(CONFIG.longitudes()))
    assert (grid.first_latitude, grid.last_latitude) == (CONFIG.latitudes()[-1], CONFIG.latitudes()[0])
    assert (grid.first_longitude - 360, grid.last_longitude) == (CONFIG.longitudes()[0], CONFIG.longitudes()[-1])


def test_spatial_ref_is_the_icon_sphere() -> None:
    crs = pyproj.CRS.from_wkt(CONFIG.build_template()["spatial_ref"].attrs["crs_wkt"])
    assert crs.is_geographic
    assert crs.ellipsoid is not None
    assert crs.ellipsoid.semi_major_metre == crs.ellipsoid.semi_minor_metre == 6_371_229


def test_variables_encodings_and_chunk_sizes() -> None:
    ds = CONFIG.build_template()
    assert len(ds.data_vars) == 12
    for var in ICON_EU_DATA_VARS:
        encoding = ds[var.name].encoding
        assert encoding["chunks"] == (1, 93, 219, 230)
        assert encoding["shards"] == (1, 93, 657, 1380)
        assert 2.5e6 * 3.3 < var.encoding.chunk_bytes() < 6e6 * 6.5  # 2.5-6 MB after compression
        assert 100e6 < var.encoding.shard_bytes() < 600e6


def test_statistics_transforms_and_rounding() -> None:
    by_name = {v.name: v.internal_attrs for v in ICON_EU_DATA_VARS}
    statistics = {name: attrs.statistic for name, attrs in by_name.items() if attrs.statistic}
    assert statistics == {
        "wind_gust_10m": "maximum_since_previous_output",
        "precipitation_surface": "accumulation_since_init",
        "net_short_wave_radiation_flux_surface": "average_since_init",
        "net_long_wave_radiation_flux_surface": "average_since_init",
    }
    for var in ICON_EU_DATA_VARS:
        assert (var.attrs.step_type == "instant") == (var.internal_attrs.statistic is None), var.name
        assert (var.internal_attrs.unit_conversion == "kelvin_to_celsius") == (var.attrs.units == "degree_Celsius")
        bits = var.internal_attrs.keep_mantissa_bits
        assert bits == {"Pa": 10, "m s-1": 6}.get(var.attrs.units, 7), var.name
    assert {a.dwd_param for a in by_name.values()} == {
        "t_2m", "td_2m", "relhum_2m", "u_10m", "v_10m", "vmax_10m", "pmsl", "ps", "tot_prec", "clct", "asob_s",
        "athb_s",
    }  # fmt: skip
