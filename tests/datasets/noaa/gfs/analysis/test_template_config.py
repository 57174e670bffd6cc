import numpy as np
import pandas as pd

from datasets.common.timestamps import timestamp
from datasets.noaa.gfs.analysis.template_config import GFS_ANALYSIS_DATA_VARS, NoaaGfsAnalysisTemplateConfig
from datasets.noaa.gfs.forecast.template_config import GFS_DATA_VARS

CONFIG = NoaaGfsAnalysisTemplateConfig()


def test_hourly_time_series_on_the_gfs_grid() -> None:
    ds = CONFIG.get_template(timestamp("2021-05-01T03:00"))
    assert ds.sizes == {"time": 3, "latitude": 721, "longitude": 1440}
    assert list(ds["time"].values) == list(pd.date_range("2021-05-01T00", periods=3, freq="1h"))
    np.testing.assert_array_equal(ds["longitude"].values, -180 + 0.25 * np.arange(1440))
    assert ds["time"].encoding["units"] == "seconds since 1970-01-01"


def test_forecast_variables_with_time_series_chunks_and_window_semantics() -> None:
    ds = CONFIG.build_template()
    assert [v.name for v in GFS_ANALYSIS_DATA_VARS] == [v.name for v in GFS_DATA_VARS]
    for var in GFS_ANALYSIS_DATA_VARS:
        assert ds[var.name].dims == ("time", "latitude", "longitude")
        assert ds[var.name].encoding["chunks"] == (1440, 50, 50)
        assert ds[var.name].encoding["shards"] == (1440, 400, 400)
    by_name = {v.name: v for v in GFS_ANALYSIS_DATA_VARS}
    averaged = {n for n, v in by_name.items() if v.internal_attrs.deaverage}
    assert averaged == {
        "total_cloud_cover_atmosphere",
        "downward_short_wave_radiation_flux_surface",
        "downward_long_wave_radiation_flux_surface",
    }
    assert by_name["precipitation_surface"].internal_attrs.deaccumulate_to_rate
    assert "hour before the time" in (by_name["precipitation_surface"].attrs.comment or "")
    assert "lead time" not in (by_name["categorical_rain_surface"].attrs.comment or "")
    assert (by_name["categorical_rain_surface"].attrs.comment or "").startswith("1 where rain occurred")
    assert "no precipitation" in (by_name["percent_frozen_precipitation_surface"].attrs.comment or "")
