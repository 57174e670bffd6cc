"""Decompress downloaded source files in memory, so no decompressed copy is ever written to disk."""

import bz2
from pathlib import Path

from datasets.common.errors import SourceReadError

READ_CHUNK_BYTES = 1 << 20
BZ2_MAGIC = b"BZh"


def decompress_bz2_file(path: Path) -> bytes:
    """The decompressed content of a bzip2 file (one or more concatenated streams), fed in chunks.

    A truncated, corrupt or empty file, or bytes after the last stream, raise SourceReadError.
    """
    pieces: list[bytes] = []
    decompressor = bz2.BZ2Decompressor()
    started = False
    pending = b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(READ_CHUNK_BYTES)
            data, pending = pending + chunk, b""
            while data:
                if decompressor.eof:
                    if chunk and len(data) < len(BZ2_MAGIC):  # a next stream's magic may continue in the next chunk
                        pending = data
                        break
                    if not data.startswith(BZ2_MAGIC):
                        raise SourceReadError(f"{path.name}: unexpected bytes after the bzip2 data")
                    decompressor = bz2.BZ2Decompressor()
                started = True
                try:
                    pieces.append(decompressor.decompress(data))
                except OSError as e:
                    raise SourceReadError(f"{path.name}: corrupt bzip2 data ({e})") from None
                data = decompressor.unused_data if decompressor.eof else b""
            if not chunk:
                break
    if not started:
        raise SourceReadError(f"{path.name}: empty file")
    if not decompressor.eof:
        raise SourceReadError(f"{path.name}: truncated bzip2 data (the stream does not end)")
    return b"".join(pieces)
