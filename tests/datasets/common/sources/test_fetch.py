import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.sources import fetch
from datasets.common.sources.fetch import (
    SharedReads,
    SourceUnavailableError,
    cache_dir,
    download_to_file,
    fetch_bytes,
    fetch_ranges,
    join_url,
)
from tests.support.fault_server import FaultServer

CONTENT = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "data.bin").write_bytes(CONTENT)
    (root / "a" / "empty.bin").write_bytes(b"")
    return root


@pytest.fixture
def server(folder: Path, http_archive: Callable[[Path], FaultServer]) -> FaultServer:
    return http_archive(folder)


@pytest.fixture(params=["http", "s3", "file"])
def base_url(request: pytest.FixtureRequest, folder: Path, source_cache: Path) -> str:
    match request.param:
        case "http":
            return request.getfixturevalue("http_archive")(folder).base_url
        case "s3":
            return request.getfixturevalue("s3_archive")(folder)
        case _:
            return f"file://{folder}"


def test_join_url() -> None:
    assert join_url("https://host/base/", "/gfs.20240101/00/x") == "https://host/base/gfs.20240101/00/x"
    assert join_url("/data", "x/y") == "/data/x/y"


def test_fetch_bytes_and_ranges(base_url: str) -> None:
    url = join_url(base_url, "a/b/data.bin")
    assert fetch_bytes(url) == CONTENT
    ranges = [(0, 4), (100, 200), (5000, 5001), (10000, None), (10, 20)]
    assert fetch_ranges(url, ranges) == [CONTENT[s:e] for s, e in ranges]


def test_missing_and_empty_objects_are_not_found(base_url: str) -> None:
    with pytest.raises(SourceNotFoundError):
        fetch_bytes(join_url(base_url, "a/missing.bin"))
    with pytest.raises(SourceNotFoundError):
        fetch_ranges(join_url(base_url, "a/missing.bin"), [(0, 10)])
    with pytest.raises(SourceNotFoundError, match="zero-byte"):
        fetch_bytes(join_url(base_url, "a/empty.bin"))
    with pytest.raises(SourceNotFoundError, match="zero-byte"):
        fetch_ranges(join_url(base_url, "a/empty.bin"), [(0, 10), (20, None)])


def test_ranges_past_the_end_are_read_failures(base_url: str) -> None:
    url = join_url(base_url, "a/b/data.bin")
    with pytest.raises(SourceReadError):
        fetch_ranges(url, [(10000, 10500)])
    with pytest.raises(SourceReadError):
        fetch_ranges(url, [(20000, None)])


def test_nearby_ranges_are_coalesced(server: FaultServer) -> None:
    url = join_url(server.base_url, "a/b/data.bin")
    fetch_ranges(url, [(0, 100), (200, 300), (400, 500), (9000, 9100)])
    assert len(server.requests_for("a/b/data.bin")) == 1


def test_server_errors_are_retried(server: FaultServer) -> None:
    server.fail("a/b/data.bin", status=500, times=2)
    assert fetch_ranges(join_url(server.base_url, "a/b/data.bin"), [(0, 10)]) == [CONTENT[:10]]
    assert len(server.requests_for("a/b/data.bin")) == 3


def test_too_many_requests_is_retried(server: FaultServer) -> None:
    server.fail("a/b/data.bin", status=429, times=1)
    assert fetch_bytes(join_url(server.base_url, "a/b/data.bin")) == CONTENT


def test_persistent_server_errors_fail_clearly(server: FaultServer) -> None:
    server.fail("a/b/data.bin", status=503)
    with pytest.raises(SourceUnavailableError, match=r"503.*|after \d+ retries"):
        fetch_bytes(join_url(server.base_url, "a/b/data.bin"))
    assert len(server.requests_for("a/b/data.bin")) == 4  # first try + 3 retries


def test_forbidden_over_plain_http_is_not_a_missing_object(server: FaultServer) -> None:
    server.fail("a/b/data.bin", status=403)
    with pytest.raises(SourceUnavailableError, match="403"):
        fetch_bytes(join_url(server.base_url, "a/b/data.bin"))


def test_unreachable_host_fails_clearly(source_cache: Path) -> None:
    with pytest.raises(SourceUnavailableError):
        fetch_bytes("http://127.0.0.1:9/nothing-listens-here")


def test_download_to_file_writes_ranges_atomically(base_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "part.grib2"
    download_to_file(join_url(base_url, "a/b/data.bin"), dest, [(0, 10), (50, 60)])
    assert dest.read_bytes() == CONTENT[:10] + CONTENT[50:60]
    download_to_file(join_url(base_url, "a/b/data.bin"), dest)
    assert dest.read_bytes() == CONTENT


@pytest.mark.parametrize(
    ("path", "ranges", "error"),
    [
        ("a/missing.bin", None, SourceNotFoundError),
        ("a/empty.bin", None, SourceNotFoundError),
        ("a/b/data.bin", [(0, 10), (10000, 10500)], SourceReadError),
    ],
)
def test_failed_download_leaves_no_file(
    server: FaultServer, tmp_path: Path, path: str, ranges: list[tuple[int, int]] | None, error: type[Exception]
) -> None:
    dest = tmp_path / "out" / "file.grib2"
    with pytest.raises(error):
        download_to_file(join_url(server.base_url, path), dest, ranges)
    assert not dest.parent.exists() or not any(dest.parent.iterdir())


def test_failing_server_download_leaves_no_file(server: FaultServer, tmp_path: Path) -> None:
    server.fail("a/b/data.bin", status=500)
    dest = tmp_path / "out" / "file.grib2"
    with pytest.raises(SourceUnavailableError):
        download_to_file(join_url(server.base_url, "a/b/data.bin"), dest, [(0, 10)])
    assert not dest.parent.exists() or not any(dest.parent.iterdir())


def test_s3_missing_bucket_is_not_found(folder: Path, s3_archive: Callable[[Path], str]) -> None:
    bucket_url = s3_archive(folder)
    with pytest.raises(SourceNotFoundError):
        fetch_bytes(join_url(bucket_url.replace("s3://", "s3://no-such-"), "a/b/data.bin"))


def test_s3_forbidden_means_not_found(
    tmp_path: Path, http_archive: Callable[[Path], FaultServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bucket" / "a").mkdir(parents=True)
    (tmp_path / "bucket" / "a" / "data.bin").write_bytes(CONTENT)
    server = http_archive(tmp_path)  # path-style S3 requests are GET /bucket/key
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.base_url)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    assert fetch_ranges("s3://bucket/a/data.bin", [(0, 10)]) == [CONTENT[:10]]
    server.fail("bucket/a/data.bin", status=403)
    with pytest.raises(SourceNotFoundError, match="403"):
        fetch_bytes("s3://bucket/a/data.bin")


def test_public_bucket_hosts_are_read_as_anonymous_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    gfs = fetch._locate("https://noaa-gfs-bdp-pds.s3.amazonaws.com/gfs.20240101/00/atmos/x")
    assert gfs.store_key == ("s3", "noaa-gfs-bdp-pds", "us-east-1", "https://s3.us-east-1.amazonaws.com", "anonymous")
    assert gfs.path == "gfs.20240101/00/atmos/x"
    ecmwf = fetch._locate("https://ecmwf-forecasts.s3.eu-central-1.amazonaws.com/20240401/00z/x.index")
    assert ecmwf.store_key[1:3] == ("ecmwf-forecasts", "eu-central-1")
    nomads = fetch._locate("https://nomads.ncep.noaa.gov/pub/data/nccf/com/gfs/prod/gfs.20240101/00/atmos/x")
    assert nomads.store_key == ("http", "https://nomads.ncep.noaa.gov")
    assert fetch._settings.requests_per_minute[nomads.host] == 120
    mirror = fetch._locate("s3://mirror/gfs.20240101/x")
    assert mirror.store_key[1] == "mirror"
    assert mirror.store_key[3] == "http://127.0.0.1:9"


def test_rate_limit_spaces_requests(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    host = server.base_url.removeprefix("http://")
    settings = fetch._settings.model_copy(update={"requests_per_minute": {host: 600}})
    fetch.configure_fetch(settings)
    start = time.monotonic()
    for _ in range(4):
        fetch_ranges(join_url(server.base_url, "a/b/data.bin"), [(0, 10)])
    assert time.monotonic() - start >= 0.3  # 3 gaps of 0.1 s


def test_cache_dir_is_per_dataset(source_cache: Path) -> None:
    path = cache_dir("example-dataset")
    assert path == source_cache / "example-dataset"
    assert path.is_dir()


def test_shared_reads_read_each_key_once_share_failures_and_keep_the_newest() -> None:
    reads: list[str] = []
    started = threading.Event()

    def slow_read(key: str) -> Callable[[], str]:
        def read() -> str:
            reads.append(key)
            started.wait(1)
            if key == "missing":
                raise SourceNotFoundError(f"{key}: 404")
            return key.upper()

        return read

    shared: SharedReads[str] = SharedReads(size=2)
    with ThreadPoolExecutor(8) as pool:
        values = [pool.submit(shared.get, "a", slow_read("a")) for _ in range(8)]
        started.set()
        assert [v.result() for v in values] == ["A"] * 8
    assert reads == ["a"]
    for _ in range(2):
        with pytest.raises(SourceNotFoundError, match="missing: 404"):
            shared.get("missing", slow_read("missing"))
    assert reads == ["a", "missing"]
    shared.get("b", slow_read("b"))  # "a" is now the oldest of three: dropped
    assert shared.get("a", slow_read("a")) == "A"
    assert reads == ["a", "missing", "b", "a"]
