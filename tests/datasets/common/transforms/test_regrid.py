import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from datasets.common.transforms.regrid import regrid_bilinear


def global_grid(resolution: float, first_longitude: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    latitudes = 90 - np.arange(round(180 / resolution) + 1) * resolution
    longitudes = first_longitude + np.arange(round(360 / resolution)) * resolution
    return latitudes, longitudes


def coinciding(target: np.ndarray, source: np.ndarray, period: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the target points that are source points (up to rounding), and of those source points."""
    distance = np.abs(target[:, None] - source[None, :])
    distance = np.minimum(distance, np.abs(distance - period))
    target_index, source_index = np.nonzero(distance < 1e-9)
    return target_index, source_index


@st.composite
def refinements(draw: st.DrawFn) -> tuple[np.ndarray, float, int, float]:
    resolution = draw(st.sampled_from([10.0, 15.0, 20.0, 30.0, 45.0]))
    factor = draw(st.integers(1, 4))
    first_longitude = draw(st.sampled_from([0.0, -180.0, 180.0, resolution / factor]))
    shape = (round(180 / resolution) + 1, round(360 / resolution))
    values = draw(hnp.arrays(np.float32, shape, elements=st.floats(-1e6, 1e6, width=32)))
    return values, resolution, factor, first_longitude


@given(refinements())
def test_points_on_both_grids_keep_their_exact_source_value(case: tuple[np.ndarray, float, int, float]) -> None:
    values, resolution, factor, first_longitude = case
    source_lat, source_lon = global_grid(resolution)
    lat, lon = global_grid(resolution / factor, first_longitude)

    out = regrid_bilinear(values, source_lat, source_lon, lat, lon)

    assert out.shape == (len(lat), len(lon))
    assert out.dtype == np.float32
    rows, source_rows = coinciding(lat, source_lat)
    columns, source_columns = coinciding(np.mod(lon, 360), source_lon, period=360)
    assert len(rows) == len(source_lat)
    assert len(columns) == len(source_lon)
    np.testing.assert_array_equal(out[np.ix_(rows, columns)], values[np.ix_(source_rows, source_columns)])


def test_midpoints_are_means_of_their_neighbours_across_the_date_line() -> None:
    source_lat, source_lon = global_grid(90.0)  # 90, 0, -90 x 0, 90, 180, 270
    values = np.arange(12, dtype=np.float32).reshape(3, 4) * 4
    lat, lon = global_grid(45.0, first_longitude=-180.0)

    out = regrid_bilinear(values, source_lat, source_lon, lat, lon)

    # lon -180 is source column 2, -135 lies between 180 and 270, 135 between 90 and 180, -45 between 270 and 360
    assert out[0, 0] == values[0, 2]
    assert out[0, 1] == (values[0, 2] + values[0, 3]) / 2
    assert out[1, 1] == (values[0, 2] + values[0, 3] + values[1, 2] + values[1, 3]) / 4
    assert out[2, 7] == (values[1, 1] + values[1, 2]) / 2
    assert out[3, 3] == (values[1, 3] + values[1, 0] + values[2, 3] + values[2, 0]) / 4
    assert out[4, 4] == values[2, 0]


def test_nan_spreads_only_to_points_that_weigh_it() -> None:
    source_lat, source_lon = global_grid(30.0)
    values = np.ones((7, 12), dtype=np.float32)
    values[3, 4] = np.nan
    lat, lon = global_grid(15.0)

    out = regrid_bilinear(values, source_lat, source_lon, lat, lon)

    assert np.isnan(out).sum() == 9
    assert np.isnan(out[5:8, 7:10]).all()


def test_targets_outside_the_source_latitudes_are_refused() -> None:
    with pytest.raises(AssertionError, match="outside"):
        regrid_bilinear(
            np.zeros((3, 4), np.float32),
            np.array([60.0, 0, -60]),
            np.arange(4) * 90.0,
            np.array([70.0]),
            np.array([0.0]),
        )
