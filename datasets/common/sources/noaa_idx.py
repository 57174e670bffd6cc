"""NOAA `.idx` inventories (wgrib2 `-s` output) and the forecast-time texts they use."""

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.timestamps import timedelta, timestamp

type WindowKind = Literal["acc", "ave", "max", "min"]
WINDOW_KINDS: tuple[WindowKind, ...] = ("acc", "ave", "max", "min")


class IdxMessage(FrozenBaseModel):
    message: int
    sub_message: int | None
    start: int
    end: int | None  # exclusive; None = to the end of the file
    date: pd.Timestamp
    element: str
    level: str
    forecast: str
    extra: str

    @property
    def byte_range(self) -> tuple[int, int | None]:
        return (self.start, self.end)


def parse_idx(text: str) -> list[IdxMessage]:
    rows = [_parse_line(line, number) for number, line in enumerate(text.split("\n"), 1) if line.strip()]
    starts = sorted({row[2] for row in rows})
    next_start = dict(zip(starts, [*starts[1:], None], strict=True))
    return [
        IdxMessage(
            message=message,
            sub_message=sub_message,
            start=start,
            end=next_start[start],
            date=date,
            element=element,
            level=level,
            forecast=forecast,
            extra=extra,
        )
        for message, sub_message, start, date, element, level, forecast, extra in rows
    ]


def _parse_line(line: str, number: int) -> tuple[int, int | None, int, pd.Timestamp, str, str, str, str]:
    fields = line.removesuffix("\r").split(":")
    if len(fields) < 6:
        raise SourceReadError(f"idx line {number} has {len(fields)} fields, expected at least 6: {line!r}")
    msg, start, date_text, element, level, forecast = fields[:6]
    extra = ":".join(fields[6:])
    try:
        message, _, sub = msg.partition(".")
        date = _parse_date(date_text)
        return (int(message), int(sub) if sub else None, int(start), date, element, level, forecast, extra)
    except ValueError as e:
        raise SourceReadError(f"idx line {number} is malformed ({e}): {line!r}") from None


def _parse_date(text: str) -> pd.Timestamp:
    if text.startswith("d=") and len(text) == 12:
        return timestamp(f"{text[2:10]}T{text[10:12]}")
    if text.startswith("D=") and len(text) == 16:
        return timestamp(f"{text[2:10]}T{text[10:16]}")
    raise ValueError(f"bad date field {text!r}")


def _whole_seconds(duration: pd.Timedelta) -> int:
    seconds = duration.total_seconds()
    assert seconds >= 0, f"expected a non-negative duration, got {duration}"
    assert seconds == int(seconds), f"expected a whole number of seconds, got {duration}"
    return int(seconds)


def _whole_hours(duration: pd.Timedelta) -> int:
    hours, remainder = divmod(_whole_seconds(duration), 3600)
    assert remainder == 0, f"expected a whole number of hours, got {duration}"
    return hours


def instant_forecast_text(lead: pd.Timedelta) -> str:
    seconds = _whole_seconds(lead)
    if seconds == 0:
        return "anl"
    if seconds % 3600:
        assert seconds % 60 == 0, f"lead {lead} is not a whole number of minutes"
        return f"{seconds // 60} min fcst"
    return f"{seconds // 3600} hour fcst"


def window_forecast_text(lead: pd.Timedelta, window_start: pd.Timedelta, kind: str) -> str:
    """wgrib2's text for a statistic over [window_start, lead]; an empty kind is a missing statistic code."""
    start, end = _whole_hours(window_start), _whole_hours(lead)
    assert start <= end, f"window start {window_start} after lead {lead}"
    suffix = f" {kind} fcst" if kind else " fcst"
    if start == 0 and end % 24 == 0:
        return f"0-{end // 24} day{suffix}"
    return f"{start}-{end} hour{suffix}"


def gfs_window_start(lead: pd.Timedelta, reset_hours: int = 6) -> pd.Timedelta:
    """Start of the statistical window ending at `lead` for a window that resets every `reset_hours`."""
    hours = _whole_hours(lead)
    since_reset = hours % reset_hours
    return timedelta(f"{max(0, hours - (since_reset or reset_hours))}h")


def forecast_text(lead: pd.Timedelta, kind: WindowKind | None, reset_hours: int | None = None) -> str:
    """Instant (`kind` None) or windowed forecast text at `lead`; a window resets every `reset_hours`."""
    if kind is None:
        return instant_forecast_text(lead)
    assert reset_hours is not None, "a windowed forecast text needs reset_hours"
    return window_forecast_text(lead, gfs_window_start(lead, reset_hours), kind)


def select_message(messages: Sequence[IdxMessage], element: str, level: str, forecast: str) -> IdxMessage:
    """The message with this identity. Identical repeats (GFS writes APCP 0-L twice while the 6 h window
    still starts at 0) hold the same field, so the first is used."""
    for message in messages:
        if (message.element, message.level, message.forecast) == (element, level, forecast):
            return message
    raise SourceNotFoundError(f"no idx entry for {element}:{level}:{forecast}")
