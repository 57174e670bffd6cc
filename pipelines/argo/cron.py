"""Five-field cron schedules as Argo's CronWorkflow controller reads them (robfig/cron standard parser)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    day_of_month_restricted: bool
    day_of_week_restricted: bool

    def matches(self, moment: datetime) -> bool:
        if moment.minute not in self.minutes or moment.hour not in self.hours or moment.month not in self.months:
            return False
        day_of_month = moment.day in self.days_of_month
        day_of_week = (moment.isoweekday() % 7) in self.days_of_week
        if self.day_of_month_restricted and self.day_of_week_restricted:
            return day_of_month or day_of_week
        return day_of_month and day_of_week

    def firings(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every matching minute in [start, end), in start's timezone."""
        moment = start.replace(second=0, microsecond=0)
        if moment < start:
            moment += timedelta(minutes=1)
        while moment < end:
            if self.matches(moment):
                yield moment
            moment += timedelta(minutes=1)


def _value(text: str, names: list[str], low: int) -> int:
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + low
    if not text.isdigit():
        raise CronError(f"{text!r} is not a number")
    return int(text)


def _field(text: str, low: int, high: int, names: list[str] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = _value(step_text, [], 0) if step_text else 1
        if step < 1:
            raise CronError(f"step must be positive in {part!r}")
        if base == "*" or base == "?":
            start, stop = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, stop = _value(first, names or [], low), _value(last, names or [], low)
        else:
            start = _value(base, names or [], low)
            stop = high if step_text else start
        if not low <= start <= stop <= high:
            raise CronError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, stop + 1, step))
    return frozenset(values)


def parse_cron(schedule: str) -> CronSchedule:
    text = DESCRIPTORS.get(schedule.strip(), schedule.strip())
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"cron schedule {schedule!r} must have 5 fields (minute hour day-of-month month day-of-week)")
    minute, hour, day_of_month, month, day_of_week = fields
    try:
        days_of_week = _field(day_of_week, 0, 7, WEEKDAYS)
        return CronSchedule(
            minutes=_field(minute, 0, 59),
            hours=_field(hour, 0, 23),
            days_of_month=_field(day_of_month, 1, 31),
            months=_field(month, 1, 12, MONTHS),
            days_of_week=frozenset(d % 7 for d in days_of_week),
            day_of_month_restricted=not day_of_month.startswith(("*", "?")),
            day_of_week_restricted=not day_of_week.startswith(("*", "?")),
        )
    except CronError as e:
        raise CronError(f"cron schedule {schedule!r}: {e}") from None


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise CronError(f"unknown timezone {name!r}") from e


def validation_gaps(
    update_schedule: str, validate_schedule: str, timezone: str, update_deadline_seconds: int, days: int = 14
) -> list[datetime]:
    """Update firings whose next validation starts before the update's deadline has passed."""
    zone = parse_timezone(timezone)
    update, validate = parse_cron(update_schedule), parse_cron(validate_schedule)
    start = datetime(2025, 1, 6, tzinfo=zone)
    end = start + timedelta(days=days)
    validations = list(validate.firings(start, end + timedelta(days=days)))
    deadline = timedelta(seconds=update_deadline_seconds)
    gaps = []
    for fired in update.firings(start, end):
        following = next((v for v in validations if v > fired), None)
        if following is None or following < fired + deadline:
            gaps.append(fired)
    return gaps
