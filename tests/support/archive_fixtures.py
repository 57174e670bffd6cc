"""Fixtures serving a folder as a source archive: loopback HTTP with ranges, or S3 through moto."""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from datasets.common.sources.fetch import CACHE_DIR_ENV, FetchSettings, configure_fetch
from datasets.common.sources.retry import RetryPolicy
from tests.support.fault_server import FaultServer

TEST_FETCH_SETTINGS = FetchSettings(
    timeout_seconds=10,
    connect_timeout_seconds=2,
    retries=RetryPolicy(
        max_retries=3,
        initial_backoff_seconds=0.01,
        max_backoff_seconds=0.05,
        max_retry_after_seconds=0.2,
        retry_timeout_seconds=10,
    ),
)


@pytest.fixture
def source_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private download cache and fast retries for the test."""
    cache = tmp_path / "source-cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache))
    configure_fetch(TEST_FETCH_SETTINGS)
    yield cache
    configure_fetch(FetchSettings())


@pytest.fixture
def http_archive(source_cache: Path) -> Iterator[Callable[[Path], FaultServer]]:
    """Call with a folder; get a running FaultServer (`.base_url`, `.requests`, `.inject(...)`, `.fail(...)`)."""
    servers: list[FaultServer] = []

    def serve(root: Path) -> FaultServer:
        server = FaultServer(root)
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_archive(moto_endpoint: str, source_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], str]:
    """Call with a folder; its files are uploaded to a fresh moto bucket and its `s3://bucket` URL returned."""
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")

    def upload(root: Path) -> str:
        bucket = f"archive-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            client.put_object(Bucket=bucket, Key=path.relative_to(root).as_posix(), Body=path.read_bytes())
        return f"s3://{bucket}"

    return upload
