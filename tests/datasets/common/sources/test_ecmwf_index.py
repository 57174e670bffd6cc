import json

import pytest

from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.sources.ecmwf_index import parse_ecmwf_index, select_ecmwf_entry


def line(**fields: object) -> str:
    base = {"domain": "g", "date": "20240401", "time": "0000", "expver": "0001", "class": "od", "stream": "enfo"}
    return json.dumps(base | fields)


INDEX = "\n".join(
    [
        line(type="cf", step="3", levtype="sfc", param="2t", _offset=0, _length=600),
        line(type="pf", number="1", step="3", levtype="sfc", param="2t", _offset=600, _length=650),
        line(type="pf", number="2", step="3", levtype="sfc", param="2t", _offset=1250, _length=640),
        line(type="pf", number="1", step="3", levtype="pl", levelist="500", param="gh", _offset=1890, _length=700),
        line(type="pf", number="1", step="0-6", levtype="sfc", param="tp", _offset=2590, _length=10),
    ]
)


def test_parse_exact_byte_ranges_and_members() -> None:
    entries = parse_ecmwf_index(INDEX)
    assert [e.byte_range for e in entries][:3] == [(0, 600), (600, 1250), (1250, 1890)]
    assert [e.ensemble_member for e in entries] == [0, 1, 2, 1, 1]
    (oper,) = parse_ecmwf_index(
        line(type="fc", stream="oper", step="3", levtype="sfc", param="2t", _offset=0, _length=9)
    )
    assert oper.ensemble_member == 0  # an oper file's single forecast is the control
    assert entries[3].levelist == "500"


def test_select_entry() -> None:
    entries = parse_ecmwf_index(INDEX)
    assert select_ecmwf_entry(entries, "2t", "3", 0).offset == 0
    assert select_ecmwf_entry(entries, "2t", "3", 2).offset == 1250
    assert select_ecmwf_entry(entries, "gh", "3", 1, levtype="pl", levelist="500").offset == 1890
    assert select_ecmwf_entry(entries, "tp", "0-6", 1).length == 10
    assert select_ecmwf_entry(entries, "tp", None, 1).length == 10
    assert select_ecmwf_entry(entries, "gh", None, 1, levtype="pl", levelist="500").offset == 1890
    with pytest.raises(SourceNotFoundError, match="member=3"):
        select_ecmwf_entry(entries, "2t", "3", 3)
    with pytest.raises(SourceReadError, match="2 index entries"):
        select_ecmwf_entry([*entries, entries[0]], "2t", "3", 0)


def test_malformed_lines_are_read_errors() -> None:
    with pytest.raises(SourceReadError, match="line 2"):
        parse_ecmwf_index(line(type="cf", step="3", levtype="sfc", param="2t", _offset=0, _length=1) + "\n{not json")
    with pytest.raises(SourceReadError, match="line 1"):
        parse_ecmwf_index(line(type="cf", step="3", levtype="sfc", param="2t"))
