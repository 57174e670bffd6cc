import bz2
from collections.abc import Callable
from pathlib import Path

import pytest

from datasets.common.errors import SourceReadError
from datasets.common.sources import compression
from datasets.common.sources.compression import decompress_bz2_file

CONTENT = bytes(range(256)) * 4000 + b"GRIB...7777"


def written(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "file.grib2.bz2"
    path.write_bytes(data)
    return path


def test_decompresses_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compression, "READ_CHUNK_BYTES", 7)
    assert decompress_bz2_file(written(tmp_path, bz2.compress(CONTENT))) == CONTENT


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000, 1 << 20])
def test_concatenated_streams_are_one_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(compression, "READ_CHUNK_BYTES", chunk)
    data = bz2.compress(CONTENT[:1000]) + bz2.compress(CONTENT[1000:])
    assert decompress_bz2_file(written(tmp_path, data)) == CONTENT


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[: len(data) // 2], "truncated"),
        (lambda data: data[:-1], "truncated"),
        (lambda data: data[:20] + b"\0" * 50 + data[70:], "corrupt"),
        (lambda data: b"not bzip2 at all", "corrupt"),
        (lambda data: b"", "empty"),
        (lambda data: data + b"junk", "unexpected bytes"),
        (lambda data: data + b"B", "unexpected bytes"),
    ],
)
def test_damaged_files_are_read_errors(tmp_path: Path, damage: Callable[[bytes], bytes], message: str) -> None:
    path = written(tmp_path, damage(bz2.compress(CONTENT)))
    with pytest.raises(SourceReadError, match=message):
        decompress_bz2_file(path)
