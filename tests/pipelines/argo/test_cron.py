from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.argo.cron import CronError, parse_cron, parse_timezone, validation_gaps

UTC = ZoneInfo("UTC")


def firings(schedule: str, start: datetime, hours: int) -> list[str]:
    return [f"{m:%a %H:%M}" for m in parse_cron(schedule).firings(start, start + timedelta(hours=hours))]


def test_steps_ranges_lists_and_names() -> None:
    monday = datetime(2025, 1, 6, tzinfo=UTC)
    assert firings("15 */6 * * *", monday, 24) == ["Mon 00:15", "Mon 06:15", "Mon 12:15", "Mon 18:15"]
    assert firings("0 9-17/4 * * MON-FRI", monday, 24 * 7) == [
        f"{day} {hour}" for day in ("Mon", "Tue", "Wed", "Thu", "Fri") for hour in ("09:00", "13:00", "17:00")
    ]
    assert firings("30 1,13 * * 0", monday, 24 * 7) == ["Sun 01:30", "Sun 13:30"]
    assert firings("45 3/10 * * *", monday, 24) == ["Mon 03:45", "Mon 13:45", "Mon 23:45"]
    assert firings("@daily", monday, 48) == ["Mon 00:00", "Tue 00:00"]


def test_day_of_month_and_day_of_week_combine_like_cron() -> None:
    schedule = parse_cron("0 0 1 * FRI")  # the 1st of the month OR a Friday
    assert schedule.matches(datetime(2025, 1, 1, tzinfo=UTC))  # a Wednesday
    assert schedule.matches(datetime(2025, 1, 3, tzinfo=UTC))  # a Friday
    assert not schedule.matches(datetime(2025, 1, 2, tzinfo=UTC))
    assert parse_cron("0 0 * JAN 7").matches(datetime(2025, 1, 5, tzinfo=UTC))  # 7 is Sunday too


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("0 */6 * *", "5 fields"),
        ("0 24 * * *", "outside 0-23"),
        ("60 * * * *", "outside 0-59"),
        ("0 0 0 * *", "outside 1-31"),
        ("*/0 * * * *", "step must be positive"),
        ("0 0 * * funday", "not a number"),
        ("0 5-2 * * *", "outside"),
        ("@every 1h", "5 fields"),
    ],
)
def test_invalid_schedules_are_refused(schedule: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        parse_cron(schedule)


def test_timezones() -> None:
    assert parse_timezone("America/New_York").key == "America/New_York"
    with pytest.raises(CronError, match="unknown timezone"):
        parse_timezone("Europe/Atlantis")


def test_validation_gaps_find_updates_whose_validation_comes_too_early() -> None:
    assert validation_gaps("0 */6 * * *", "30 */6 * * *", "UTC", 1200) == []
    assert len(validation_gaps("0 */6 * * *", "10 */6 * * *", "UTC", 1200)) == 4 * 14
    assert validation_gaps("0 0 * * *", "0 5 * * *", "Asia/Tokyo", 4 * 3600) == []
    assert validation_gaps("0 0 * * *", "0 0 1 6 *", "UTC", 600)  # no validation follows within the window
