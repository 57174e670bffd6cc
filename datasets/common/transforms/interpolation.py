import numpy as np


def linear_interpolate_inplace(values: np.ndarray, steps: np.ndarray, where: np.ndarray, axis: int) -> None:
    """Fill the positions `where` is True along `axis` linearly in `steps` from the nearest positions before and
    after them where it is False, in place (computed in float64). A position without both neighbours is NaN."""
    assert where.shape == (values.shape[axis],), "one flag per position along axis"
    seconds = np.asarray(steps).astype("timedelta64[s]").astype(np.int64)
    known = np.flatnonzero(~where)
    moved = np.moveaxis(values, axis, 0)
    for i in np.flatnonzero(where):
        after = np.searchsorted(known, i)
        if after == 0 or after == len(known):
            moved[i] = np.nan
            continue
        before, after = known[after - 1], known[after]
        weight = (seconds[i] - seconds[before]) / (seconds[after] - seconds[before])
        low = moved[before].astype(np.float64)
        moved[i] = low + (moved[after].astype(np.float64) - low) * weight
