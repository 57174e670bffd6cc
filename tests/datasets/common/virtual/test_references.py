from datetime import UTC, datetime
from pathlib import Path

import pytest

from datasets.common.errors import SourceReadError
from datasets.common.sources.fetch import ObjectHead
from datasets.common.sources.noaa_idx import parse_idx
from datasets.common.timestamps import timedelta
from datasets.common.virtual.config import VirtualConfig, prefix_of, reference_location
from datasets.common.virtual.references import message_reference

IDX = "1:0:d=2025080100:PRMSL:mean sea level:7 hour fcst:\n2:1000:d=2025080100:TMP:2 m above ground:7 hour fcst:\n"
HEAD = ObjectHead(size=2500, etag='"abc"', last_modified=datetime(2025, 8, 1, 5, 0, 0, 250_000, tzinfo=UTC))


def test_offsets_and_lengths_come_from_the_index_and_the_last_from_the_object_size() -> None:
    first, last = (message_reference(m, HEAD, "s3://bucket/file") for m in parse_idx(IDX))
    assert (first.offset, first.length, last.offset, last.length) == (0, 1000, 1000, 1500)
    assert last.chunk_spec([0, 3, 0, 0]).etag_checksum == '"abc"'


def test_a_local_file_is_pinned_by_its_modification_time_rounded_up_to_a_second() -> None:
    reference = message_reference(parse_idx(IDX)[0], HEAD, "file:///archive/file")
    spec = reference.chunk_spec([0, 0, 0, 0])
    assert spec.etag_checksum is None
    assert spec.last_updated_at_checksum == datetime(2025, 8, 1, 5, 0, 1, tzinfo=UTC)


def test_a_sub_field_or_an_index_past_the_object_is_refused() -> None:
    multi = parse_idx("1:0:d=2025080100:UGRD:10 mb:7 hour fcst:\n1.2:0:d=2025080100:VGRD:10 mb:7 hour fcst:\n")
    with pytest.raises(SourceReadError, match="field 2 of a multi-field message"):
        message_reference(multi[1], HEAD, "s3://bucket/file")
    with pytest.raises(SourceReadError, match="object has 900 bytes"):
        message_reference(parse_idx(IDX)[1], HEAD.model_copy(update={"size": 900}), "s3://bucket/file")


def test_containers_cover_the_public_prefixes_and_the_source_url() -> None:
    config = VirtualConfig(
        source_prefixes=("s3://noaa-gfs-bdp-pds/", "https://noaa-gfs-bdp-pds.s3.amazonaws.com"),
        manifest_split_size=120,
        update_lookback=timedelta("12h"),
    )
    public = ["s3://noaa-gfs-bdp-pds/", "https://noaa-gfs-bdp-pds.s3.amazonaws.com/"]
    assert config.container_prefixes("https://noaa-gfs-bdp-pds.s3.amazonaws.com") == public
    assert config.container_prefixes("http://127.0.0.1:8000") == [*public, "http://127.0.0.1:8000/"]
    options = config.repository_options("/data/mirror", "init_time")
    containers = options["repository_config"].virtual_chunk_containers
    assert sorted(containers) == sorted([*public, "file:///data/mirror/"])
    assert set(options["authorize_virtual_chunk_access"]) == set(containers)
    assert prefix_of("mirror") == f"file://{Path.cwd()}/mirror/"
    assert (
        reference_location("s3://bucket/prefix/", "/gfs.20240101/00/f000") == "s3://bucket/prefix/gfs.20240101/00/f000"
    )
