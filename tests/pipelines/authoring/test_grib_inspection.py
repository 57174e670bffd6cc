from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from datasets.common.errors import UserInputError
from datasets.common.sources.grib import GridSpec, decode_message, iter_messages, split_fields
from datasets.common.sources.noaa_idx import parse_idx
from pipelines.authoring.grib_inspection import GribReport, inspect_grib, resolve_url
from pipelines.demo.range_server import RangeServer

SAMPLES = Path(__file__).parents[2] / "data" / "grib"
GFS = SAMPLES / "gfs.t12z.pgrbf120.2p5deg.grib2"
NAM = SAMPLES / "nam.t00z.awp21100.tm00.grib2"


@pytest.fixture(scope="module")
def gfs(tmp_path_factory: pytest.TempPathFactory) -> GribReport:
    return inspect_grib(str(GFS), tmp_path_factory.mktemp("scratch"), field_labels=["4.2", "1"])


def idx_text_lines(path: Path) -> list[str]:
    return [line for line in Path(f"{path}.idx").read_text().splitlines() if line]


def assert_every_idx_line_is_one_field(report: GribReport, path: Path) -> None:
    lines = idx_text_lines(path)
    assert [f.idx_line for f in report.fields] == lines
    assert [f.label for f in report.fields] == [line.split(":")[0] for line in lines]
    assert [f.offset for f in report.fields] == [int(line.split(":")[1]) for line in lines]
    assert all(f.idx_agrees for f in report.fields)
    assert all(f.hypercube is not None for f in report.fields), [f.label for f in report.fields if not f.hypercube]


@pytest.mark.slow
def test_gfs_sample_lists_every_field_with_its_idx_line(gfs: GribReport) -> None:
    assert gfs.idx_url == f"{GFS}.idx"
    assert (gfs.messages, len(gfs.fields), len(gfs.hypercubes)) == (307, 343, 38)
    assert_every_idx_line_is_one_field(gfs, GFS)
    u, v = (f for f in gfs.fields if f.message == 4)
    assert (u.label, u.keys["shortName"], u.wgrib2) == ("4.1", "u", "UGRD:10 mb:120 hour fcst")
    assert (v.label, v.keys["shortName"], v.wgrib2) == ("4.2", "v", "VGRD:10 mb:120 hour fcst")
    assert u.offset == v.offset
    assert u.length == v.length == 42316 - 25975
    assert u.grid == GridSpec(
        grid_type="regular_ll", ni=144, nj=73, first_latitude=90.0, first_longitude=0.0, last_latitude=-90.0,
        last_longitude=357.5,
    )  # fmt: skip
    cube = next(c for c in gfs.hypercubes if c.index == v.hypercube)
    assert {var.name for var in cube.variables} >= {"u", "v"}
    assert cube.dims == {"isobaricInhPa": 26, "latitude": 73, "longitude": 144}


@pytest.mark.slow
def test_statistics_of_a_chosen_sub_field_match_its_decoded_values(gfs: GribReport) -> None:
    messages = list(iter_messages(GFS.read_bytes()))
    v_values = decode_message(split_fields(messages[3])[1], GridSpec.from_message(messages[3]))
    stats = {s.label: s for s in gfs.statistics}
    assert sorted(stats) == ["1", "4.2"]
    assert stats["4.2"].size == v_values.size
    assert stats["4.2"].nan_count == 0
    assert stats["4.2"].minimum == pytest.approx(float(np.nanmin(v_values)), rel=1e-6)
    assert stats["4.2"].maximum == pytest.approx(float(np.nanmax(v_values)), rel=1e-6)
    assert stats["4.2"].mean == pytest.approx(float(np.nanmean(v_values.astype(np.float64))), rel=1e-5)


def test_nam_sample_lists_every_field_with_its_idx_line(tmp_path: Path) -> None:
    report = inspect_grib(str(NAM), tmp_path)
    assert (report.messages, len(report.fields), len(report.hypercubes)) == (154, 181, 17)
    assert_every_idx_line_is_one_field(report, NAM)
    assert {f.grid.grid_type for f in report.fields if f.grid} == {"lambert"}


def test_files_without_idx_grib1_and_a_bitmap(tmp_path: Path) -> None:
    report = inspect_grib(str(SAMPLES / "fields_with_missing_values.grib"), tmp_path, field_labels=["1", "2"])
    assert report.idx_url is None
    assert [(f.label, f.edition, f.idx_line, f.wgrib2, f.hypercube) for f in report.fields] == [
        ("1", 1, None, None, 1),
        ("2", 1, None, None, 1),
    ]
    assert [(s.size, s.nan_count) for s in report.statistics] == [(16380, 10808), (16380, 10891)]
    ecmwf = inspect_grib(str(SAMPLES / "regular_latlon_surface.grib2"), tmp_path)
    assert [(f.wgrib2, f.keys["shortName"], f.keys["typeOfLevel"]) for f in ecmwf.fields] == [
        ("TMP:2 m above ground:anl", "2t", "heightAboveGround")
    ]
    assert ecmwf.hypercubes[0].variables[0].name == "t2m"


def test_match_over_http_fetches_only_the_matching_messages(
    http_archive: Callable[[Path], RangeServer], tmp_path: Path
) -> None:
    server = http_archive(SAMPLES)
    url = f"{server.base_url}/{NAM.name}"
    report = inspect_grib(url, tmp_path, match=":UGRD:(10 m above ground|tropopause):", field_labels=["108.1"])
    assert [f.idx_line for f in report.fields] == [
        "108.1:835955:d=2018091700:UGRD:10 m above ground:anl:",
        "127.1:958898:d=2018091700:UGRD:tropopause:anl:",
    ]
    assert report.messages == 2  # the U+V messages 108 and 127; their VGRD fields are fetched but not listed
    ranges = [r.range for r in server.requests_for(NAM.name)]
    assert ranges
    assert None not in ranges  # never the whole file
    spans = [tuple(map(int, r.removeprefix("bytes=").split("-"))) for r in ranges if r is not None]
    entries = {e.message: e.byte_range for e in parse_idx(Path(f"{NAM}.idx").read_text())}
    for start, end in (entries[108], entries[127]):  # ranges closer than coalesce_bytes come in one request
        assert end is not None
        assert any(first <= start and end - 1 <= last for first, last in spans)
    assert sum(last - first + 1 for first, last in spans) < NAM.stat().st_size / 5
    assert report.statistics[0].label == "108.1"


def test_s3_and_source_url(s3_archive: Callable[[Path], str], tmp_path: Path) -> None:
    bucket = s3_archive(SAMPLES)
    report = inspect_grib(resolve_url(f"https://noaa-gfs-bdp-pds.s3.amazonaws.com/{NAM.name}", bucket), tmp_path)
    assert report.url == f"{bucket}/{NAM.name}"
    assert len(report.fields) == 181
    assert report.idx_url == f"{bucket}/{NAM.name}.idx"


def test_resolve_url() -> None:
    assert resolve_url("a/b.grib2", None) == "a/b.grib2"
    assert resolve_url("a/b.grib2", "http://127.0.0.1:9/mirror/") == "http://127.0.0.1:9/mirror/a/b.grib2"
    assert resolve_url("s3://bucket/a/b.grib2", "http://m") == "http://m/a/b.grib2"
    assert resolve_url("https://host.example/a/b.grib2", "s3://mirror") == "s3://mirror/a/b.grib2"
    assert resolve_url("/abs/b.grib2", "http://m") == "/abs/b.grib2"
    assert resolve_url("file:///abs/b.grib2", "http://m") == "file:///abs/b.grib2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"match": "("}, r"--match '\(' is not a regular expression"),
        ({"match": ":NOPE:"}, "no line of .*nam.t00z.awp21100.tm00.grib2.idx matches ':NOPE:'"),
        ({"field_labels": ["999"]}, r"no field '999' in the inspected fields \(1, 2, 3, 4, 5 …\)"),
    ],
)
def test_bad_requests(kwargs: dict, message: str, tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match=message):
        inspect_grib(str(NAM), tmp_path, **kwargs)


def test_missing_or_non_grib_sources(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="not found"):
        inspect_grib(str(tmp_path / "missing.grib2"), tmp_path)
    (tmp_path / "text.grib2").write_text("not a grib file")
    with pytest.raises(UserInputError, match="no GRIB message"):
        inspect_grib(str(tmp_path / "text.grib2"), tmp_path)


def test_an_unreadable_idx_is_one_clear_error(tmp_path: Path) -> None:
    grib = tmp_path / "f.grib2"
    grib.write_bytes((SAMPLES / "regular_latlon_surface.grib2").read_bytes())
    Path(f"{grib}.idx").write_bytes(b"\xff\xfe not an inventory\n")
    with pytest.raises(UserInputError, match="idx line 1 has 1 fields"):
        inspect_grib(str(grib), tmp_path)
