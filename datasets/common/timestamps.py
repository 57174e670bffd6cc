from typing import Any

import pandas as pd


def timestamp(value: Any) -> pd.Timestamp:
    result = pd.Timestamp(value)
    assert isinstance(result, pd.Timestamp), f"expected a time, got {value!r}"
    return result


def timedelta(value: Any) -> pd.Timedelta:
    result = pd.Timedelta(value)
    assert isinstance(result, pd.Timedelta), f"expected a duration, got {value!r}"
    return result
