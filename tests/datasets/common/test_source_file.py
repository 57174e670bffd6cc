from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from datasets.common.errors import SourceNotFoundError, SourceReadError
from datasets.common.results import SourceFault, SourceFileStatus
from datasets.common.source_file import SourceFileCoord, download_fields
from tests.support.fault_server import FaultServer

CONTENT = bytes(range(100))


class FileCoord(SourceFileCoord):
    url: str

    def get_url(self) -> str:
        return self.url

    def out_loc(self) -> Mapping[str, Any]:
        return {}


@pytest.fixture
def server(tmp_path: Path, http_archive: Callable[[Path], FaultServer]) -> FaultServer:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "file").write_bytes(CONTENT)
    return http_archive(tmp_path / "src")


def test_each_field_is_read_from_its_own_bytes(server: FaultServer, tmp_path: Path) -> None:
    absent = SourceFault(status=SourceFileStatus.not_found, message="no idx entry for X")
    coord = FileCoord(url=f"{server.base_url}/file")

    done = download_fields(coord, tmp_path / "out", [(50, 60), absent, (10, 20), (95, 105), (120, 130), (97, None)])

    assert done.field_bytes(0) == CONTENT[50:60]
    with pytest.raises(SourceNotFoundError, match="no idx entry for X"):
        done.field_bytes(1)
    assert done.field_bytes(2) == CONTENT[10:20]
    assert done.field_bytes(3) == CONTENT[95:]  # runs past the end: the bytes there are
    with pytest.raises(SourceReadError, match="bytes 120-130 start past the end of the file"):
        done.field_bytes(4)
    assert done.field_bytes(5) == CONTENT[97:]
    assert len(server.requests) == 2  # the closed ranges in one request, the open-ended one in another


def test_one_request_at_a_time_joins_only_adjacent_ranges(server: FaultServer, tmp_path: Path) -> None:
    coord = FileCoord(url=f"{server.base_url}/file")

    done = download_fields(
        coord, tmp_path / "out", [(50, 52), (10, 20), (20, 25)], coalesce_bytes=0, one_request_at_a_time=True
    )

    assert [done.field_bytes(i) for i in range(3)] == [CONTENT[50:52], CONTENT[10:20], CONTENT[20:25]]
    assert [r.range for r in server.requests] == ["bytes=10-24", "bytes=50-51"]


def test_a_zero_byte_file_is_not_found_and_leaves_no_local_copy(server: FaultServer, tmp_path: Path) -> None:
    (server.root / "empty").write_bytes(b"")
    with pytest.raises(SourceNotFoundError, match="zero-byte"):
        download_fields(FileCoord(url=f"{server.base_url}/empty"), tmp_path / "out" / "x", [(0, 10)])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
