from typing import Any

import pandas as pd


def timestamp(value: Any) -> pd.Timestamp:
    result = pd.Timestamp(value)
    assert isinstance(result, pd.Timestamp), f"expected a time, got {value!r}"
    return result


def utc_now() -> pd.Timestamp:
    """The current time as a naive UTC timestamp, the convention of every append-dim coordinate."""
    return timestamp(pd.Timestamp.now(tz="UTC").tz_convert(None))


def timedelta(value: Any) -> pd.Timedelta:
    result = pd.Timedelta(value)
    assert isinstance(result, pd.Timedelta), f"expected a duration, got {value!r}"
    return result
