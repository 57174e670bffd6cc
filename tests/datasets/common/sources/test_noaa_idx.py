import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.sources.noaa_idx import (
    WINDOW_KINDS,
    forecast_text,
    gfs_window_start,
    instant_forecast_text,
    parse_idx,
    select_message,
    window_forecast_text,
)
from datasets.common.timestamps import timedelta

REAL_LINES = """\
1:0:d=2025080100:PRMSL:mean sea level:7 hour fcst:
596:428200066:d=2025080100:APCP:surface:6-7 hour acc fcst:
597:428448703:d=2025080100:APCP:surface:0-7 hour acc fcst:
598:428700000:d=2025080100:TMAX:2 m above ground:6-7 hour max fcst:
738:535898806:d=2025080100:UGRD:PV=-2e-06 (Km^2/kg/s) surface:7 hour fcst:
739:535999999:d=2025080100:var discipline=0 center=7 local_table=1 parmcat=16 parm=201:entire atmosphere:8 hour fcst:
740.1:536100000:d=2025080100:UGRD:10 mb:120 hour fcst:
740.2:536100000:d=2025080100:VGRD:10 mb:120 hour fcst:
741:536200000:d=2025080100:TSOIL:0-0.1 m below ground:15 hour fcst:ENS=+1
"""


def hours(n: int) -> pd.Timedelta:
    return timedelta(f"{n}h")


def test_parse_real_lines() -> None:
    messages = parse_idx(REAL_LINES)
    assert [m.start for m in messages][:3] == [0, 428200066, 428448703]
    assert messages[0].end == 428200066
    assert messages[1].forecast == "6-7 hour acc fcst"
    assert messages[4].level == "PV=-2e-06 (Km^2/kg/s) surface"
    assert messages[5].element == "var discipline=0 center=7 local_table=1 parmcat=16 parm=201"
    u, v = messages[6], messages[7]
    assert (u.message, u.sub_message, v.sub_message) == (740, 1, 2)
    assert u.byte_range == v.byte_range == (536100000, 536200000)
    assert messages[-1].extra == "ENS=+1"
    assert messages[-1].end is None
    assert messages[0].date == pd.Timestamp("2025-08-01T00:00")
    assert all(m.extra == "" for m in messages[:-1])


def test_select_message_matches_element_level_and_window() -> None:
    messages = parse_idx(REAL_LINES)
    assert select_message(messages, "APCP", "surface", "0-7 hour acc fcst").message == 597
    assert select_message(messages, "APCP", "surface", "6-7 hour acc fcst").message == 596
    with pytest.raises(SourceNotFoundError, match="APCP:surface:5-7 hour acc fcst"):
        select_message(messages, "APCP", "surface", "5-7 hour acc fcst")


def test_identical_repeats_select_the_first() -> None:
    text = "1:0:d=2024010100:APCP:surface:0-3 hour acc fcst:\n2:100:d=2024010100:APCP:surface:0-3 hour acc fcst:\n"
    assert select_message(parse_idx(text), "APCP", "surface", "0-3 hour acc fcst").byte_range == (0, 100)


@pytest.mark.parametrize(
    "text",
    ["1:0:d=2024010100:TMP", "x:0:d=2024010100:TMP:2 m above ground:anl:", "1:0:2024010100:TMP:surface:anl:"],
)
def test_malformed_lines_are_read_errors(text: str) -> None:
    with pytest.raises(SourceReadError, match="line 1"):
        parse_idx(text)


@pytest.mark.parametrize(
    ("lead", "start", "kind", "expected"),
    [
        (7, 6, "acc", "6-7 hour acc fcst"),
        (7, 0, "acc", "0-7 hour acc fcst"),
        (0, 0, "acc", "0-0 day acc fcst"),
        (24, 0, "ave", "0-1 day ave fcst"),
        (24, 18, "max", "18-24 hour max fcst"),
        (120, 114, "", "114-120 hour fcst"),
    ],
)
def test_window_texts(lead: int, start: int, kind: str, expected: str) -> None:
    assert window_forecast_text(hours(lead), hours(start), kind) == expected


def test_instant_texts() -> None:
    assert instant_forecast_text(hours(0)) == "anl"
    assert instant_forecast_text(hours(432)) == "432 hour fcst"
    assert instant_forecast_text(timedelta("15min")) == "15 min fcst"


@pytest.mark.parametrize(
    ("lead", "reset", "start"), [(0, 6, 0), (1, 6, 0), (6, 6, 0), (7, 6, 6), (12, 6, 6), (123, 6, 120), (126, 6, 120)]
)
def test_gfs_window_start(lead: int, reset: int, start: int) -> None:
    assert gfs_window_start(hours(lead), reset) == hours(start)


TEXT = st.text(st.characters(blacklist_characters=":\n\r", blacklist_categories=("Cs",)), min_size=1, max_size=40)
LEVELS = st.one_of(
    TEXT,
    st.sampled_from(
        ["2 m above ground", "0-0.1 m below ground", "PV=2e-06 (Km^2/kg/s) surface", "30-0 mb above ground"]
    ),
)
EXTRAS = st.one_of(st.just(""), st.sampled_from(["ENS=+1", "ENS=-12", "ENS=low-res ctl", "ENS=hi-res ctl", "ens mean"]))


@st.composite
def idx_lines(draw: st.DrawFn) -> list[tuple[str, int, int | None, str, str, str, str]]:
    count = draw(st.integers(1, 25))
    gaps = draw(st.lists(st.integers(1, 10**9), min_size=count, max_size=count))
    lines, offset = [], 0
    for message, gap in enumerate(gaps, 1):
        subs = draw(st.integers(1, 3))
        for sub in range(1, subs + 1):
            number = f"{message}.{sub}" if subs > 1 else str(message)
            element = draw(st.one_of(st.from_regex(r"[A-Z][A-Z0-9-]{1,7}", fullmatch=True), TEXT))
            forecast = draw(st.one_of(TEXT, st.sampled_from(["anl", "6-7 hour acc fcst", "0-0 day acc fcst"])))
            lines.append((number, offset, sub if subs > 1 else None, element, draw(LEVELS), forecast, draw(EXTRAS)))
        offset += gap
    return lines


@given(idx_lines())
def test_parse_idx_round_trips_the_grammar(lines: list) -> None:
    text = "\n".join(
        f"{number}:{offset}:d=2024010106:{element}:{level}:{forecast}:{extra}"
        for number, offset, _, element, level, forecast, extra in lines
    )
    messages = parse_idx(text)
    starts = sorted({line[1] for line in lines})
    assert len(messages) == len(lines)
    for message, (number, offset, sub, element, level, forecast, extra) in zip(messages, lines, strict=True):
        assert message.message == int(number.split(".")[0])
        assert message.sub_message == sub
        assert (message.start, message.element, message.level, message.forecast, message.extra) == (
            offset,
            element,
            level,
            forecast,
            extra,
        )
        following = [s for s in starts if s > offset]
        assert message.end == (following[0] if following else None)
        assert message.date == pd.Timestamp("2024-01-01T06:00")


WINDOW_TEXT = re.compile(r"^(?:(\d+)-(\d+) hour|0-(\d+) day) (acc|ave|max|min) fcst$")


@given(st.integers(0, 840), st.sampled_from([1, 3, 6, 12, 24]), st.sampled_from(WINDOW_KINDS))
def test_window_text_encodes_the_window(lead_hours: int, reset: int, kind: str) -> None:
    lead = hours(lead_hours)
    start = gfs_window_start(lead, reset)
    start_hours = int(start / hours(1))
    assert 0 <= lead_hours - start_hours <= reset
    assert start_hours % reset == 0
    if lead_hours > 0:
        assert lead_hours > start_hours
    text = forecast_text(lead, kind, reset)  # ty: ignore[invalid-argument-type]
    match = WINDOW_TEXT.match(text)
    assert match is not None, text
    if match[3] is not None:
        assert (start_hours, lead_hours) == (0, 24 * int(match[3]))
    else:
        assert (int(match[1]), int(match[2])) == (start_hours, lead_hours)
        assert start_hours != 0 or lead_hours % 24 != 0
    assert match[4] == kind


@given(st.integers(0, 10_000))
def test_instant_text_encodes_the_lead(lead_hours: int) -> None:
    text = forecast_text(hours(lead_hours), None)
    assert text == ("anl" if lead_hours == 0 else f"{lead_hours} hour fcst")
