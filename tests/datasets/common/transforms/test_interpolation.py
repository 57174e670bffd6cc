import numpy as np
import pandas as pd

from datasets.common.transforms.interpolation import linear_interpolate_inplace

HOURS = pd.to_timedelta([0, 3, 6, 9, 10, 12], unit="h").to_numpy()


def test_flagged_positions_are_linear_in_the_steps_between_their_known_neighbours() -> None:
    values = np.array([[np.nan, 1.0], [0.0, 0.0], [0.0, 0.0], [4.0, 8.0], [0.0, 0.0], [0.0, 0.0]], dtype=np.float32)
    where = np.array([True, False, True, False, True, True])
    linear_interpolate_inplace(values, HOURS, where, axis=0)
    # 6 h: halfway from 3 h to 9 h; 10 and 12 h have no known neighbour after them
    np.testing.assert_array_equal(values[:, 1], [np.nan, 0.0, 4.0, 8.0, np.nan, np.nan])
    np.testing.assert_array_equal(values[2, 0], 2.0)


def test_along_another_axis_uneven_steps() -> None:
    values = np.array([[1.0, np.nan, 3.0, np.nan, np.nan, 5.0]], dtype=np.float32)
    where = np.array([False, True, False, True, True, False])
    linear_interpolate_inplace(values, HOURS, where, axis=1)
    np.testing.assert_allclose(values[0], [1.0, 2.0, 3.0, 4.0, 3.0 + 2 * 4 / 6, 5.0], rtol=1e-7)
