import json
import re
import subprocess
import sys
from pathlib import Path

import icechunk
import numpy as np
import pytest
import zarr
from zarr.abc.store import Store
from zarr.core.buffer import cpu
from zarr.core.sync import sync
from zarr.storage import MemoryStore

from datasets.common.sources.grib import GridSpec
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.timestamps import timedelta
from datasets.common.virtual.codec import CODEC_NAME, GribCodec, GribDecodeError
from datasets.common.virtual.config import VirtualConfig
from tests.datasets.common.sources.test_grib import SAMPLES, whole_file_fields

GFS_SAMPLE = SAMPLES / "gfs.t12z.pgrbf120.2p5deg.grib2"


def first_message() -> bytes:
    return GFS_SAMPLE.read_bytes()[: parse_idx(Path(f"{GFS_SAMPLE}.idx").read_text())[1].start]


def message_array(store: Store, grid: GridSpec, messages: list[bytes]) -> zarr.Array:
    array = zarr.create_array(
        store,
        name="field",
        shape=(len(messages), grid.nj, grid.ni),
        chunks=(1, grid.nj, grid.ni),
        dtype="float32",
        serializer=GribCodec(grid=grid),
        compressors=None,
        fill_value=np.nan,
    )
    for i, message in enumerate(messages):
        sync(store.set(f"field/c/{i}/0/0", cpu.Buffer.from_bytes(message)))
    return array


def test_codec_is_found_through_zarrs_entry_point_alone() -> None:
    script = (
        "import zarr.registry, json; cls = zarr.registry.get_codec_class('reformatters.grib2'); "
        "print(json.dumps([cls.__module__, cls.__name__]))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == ["datasets.common.virtual.codec", "GribCodec"]


def test_every_single_field_message_of_a_real_file_decodes_as_eccodes_does() -> None:
    data = GFS_SAMPLE.read_bytes()
    index = parse_idx(Path(f"{GFS_SAMPLE}.idx").read_text())
    reference = list(whole_file_fields(GFS_SAMPLE))
    single = [(m, f) for m, f in zip(index, reference, strict=True) if m.sub_message is None]
    messages = [data[m.start : m.end or len(data)] for m, _ in single]
    array = message_array(MemoryStore(), single[0][1].grid, messages)
    values = np.asarray(array[:])
    assert sum(1 for _, f in single if np.isnan(f.values).any()) > 10, "the sample has fields with a bitmap"
    for i, (message, field) in enumerate(single):
        np.testing.assert_array_equal(values[i], field.values, err_msg=str(message))
    assert np.isnan(message_array(MemoryStore(), single[0][1].grid, [])[:]).all()


def test_codec_round_trips_its_configuration() -> None:
    codec = GribCodec(grid=GridSpec.from_message(first_message()))
    described = codec.to_dict()
    assert described["name"] == CODEC_NAME
    assert GribCodec.from_dict(json.loads(json.dumps(described))) == codec


def test_writing_through_the_codec_is_refused() -> None:
    first = first_message()
    array = message_array(MemoryStore(), GridSpec.from_message(first), [first])
    with pytest.raises(TypeError, match="decode-only"):
        array[0] = 1.0


def test_a_bad_reference_fails_naming_the_chunk_and_the_reference(tmp_path: Path) -> None:
    data = GFS_SAMPLE.read_bytes()
    index = parse_idx(Path(f"{GFS_SAMPLE}.idx").read_text())
    grid = GridSpec.from_message(data[: index[1].start])
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "file.grib2").write_bytes(data)
    virtual = VirtualConfig(source_prefixes=(), manifest_split_size=10, update_lookback=timedelta("6h"))
    options = virtual.repository_options(str(archive), "init_time")
    repo = icechunk.Repository.create(
        icechunk.in_memory_storage(),
        config=options["repository_config"],
        authorize_virtual_chunk_access=options["authorize_virtual_chunk_access"],
    )
    session = repo.writable_session("main")
    message_array(session.store, grid, [])
    zarr.open_array(session.store, path="field").resize((2, grid.nj, grid.ni))
    location = f"file://{archive}/file.grib2"
    session.store.set_virtual_ref("field/c/0/0/0", location, offset=0, length=index[1].start)
    session.store.set_virtual_ref("field/c/1/0/0", location, offset=10, length=index[1].start)
    array = zarr.open_array(session.store, path="field", mode="r")
    np.testing.assert_array_equal(array[0], next(whole_file_fields(GFS_SAMPLE)).values)
    with pytest.raises(GribDecodeError) as raised:
        array[1]
    assert f"chunk field/c/1/0/0 (reference {location} bytes 10-{index[1].start + 9}): not a GRIB message" in str(
        raised.value
    )


def test_a_message_on_another_grid_is_refused() -> None:
    first = first_message()
    grid = GridSpec.from_message(first)
    other = grid.model_copy(update={"first_latitude": 80.0})
    store = MemoryStore()
    message_array(store, other, [first])
    with pytest.raises(
        GribDecodeError, match=re.escape("chunk field/c/0/0/0: wrong grid: first_latitude 90.0 != expected 80.0")
    ):
        zarr.open_array(store, path="field", mode="r")[:]
