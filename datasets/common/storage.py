import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import icechunk
from zarr.abc.store import Store
from zarr.storage import LocalStore, ObjectStore

from datasets.common.config_models import FrozenBaseModel

STORE_URL_ENV = "REFORMAT_STORE_URL"
REPLICA_URLS_ENV = "REFORMAT_REPLICA_URLS"


class StoreConfig(FrozenBaseModel):
    """A dataset store named by URL: a bare path or file://, s3://bucket/prefix, gs://bucket/prefix.

    A URL ending in `.zarr` is a plain Zarr v3 store (replicas only); anything else is an Icechunk repository.
    """

    url: str
    format: Literal["icechunk", "zarr"] = "icechunk"

    @property
    def scheme(self) -> str:
        return urlparse(self.url).scheme or "file"

    def local_path(self) -> Path:
        assert self.scheme == "file", f"{self.url} is not a local path"
        return Path(self.url.removeprefix("file://")).absolute()

    def bucket_and_prefix(self) -> tuple[str, str]:
        parsed = urlparse(self.url)
        return parsed.netloc, parsed.path.strip("/")


def default_store_url(dataset_id: str, dataset_version: str) -> str:
    return f"./data/{dataset_id}/v{dataset_version}.icechunk"


def parse_store_config(url: str) -> StoreConfig:
    scheme = urlparse(url).scheme
    if scheme not in ("", "file", "s3", "gs"):
        raise ValueError(f"unsupported store URL {url!r}: use a path, file://, s3:// or gs://")
    store_format = "zarr" if url.rstrip("/").endswith(".zarr") else "icechunk"
    return StoreConfig(url=url, format=store_format)


def icechunk_storage(config: StoreConfig) -> icechunk.Storage:
    match config.scheme:
        case "file":
            return icechunk.local_filesystem_storage(str(config.local_path()))
        case "s3":
            bucket, prefix = config.bucket_and_prefix()
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            return icechunk.s3_storage(
                bucket=bucket,
                prefix=prefix,
                region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
                endpoint_url=endpoint,
                allow_http=bool(endpoint and endpoint.startswith("http://")),
                force_path_style=bool(endpoint),
                from_env=True,
            )
        case "gs":
            bucket, prefix = config.bucket_and_prefix()
            return icechunk.gcs_storage(bucket=bucket, prefix=prefix, from_env=True)
        case other:
            raise ValueError(f"unsupported store scheme {other!r}")


def open_repository(
    config: StoreConfig,
    *,
    create: bool,
    repository_config: icechunk.RepositoryConfig | None = None,
    authorize_virtual_chunk_access: dict[str, Any] | None = None,
) -> icechunk.Repository:
    """A virtual dataset passes its repository config (virtual chunk containers, manifest splitting) and the
    containers' credentials; other datasets use Icechunk's defaults."""
    assert config.format == "icechunk", f"{config.url} is not an Icechunk store"
    storage = icechunk_storage(config)
    options = {"config": repository_config, "authorize_virtual_chunk_access": authorize_virtual_chunk_access}
    if icechunk.Repository.exists(storage):
        return icechunk.Repository.open(storage, **options)
    if not create:
        raise FileNotFoundError(f"no Icechunk repository at {config.url}")
    return icechunk.Repository.create(storage, **options)


def zarr_store(config: StoreConfig) -> Store:
    """A plain Zarr v3 store (used for replicas)."""
    assert config.format == "zarr", f"{config.url} is not a plain Zarr store"
    match config.scheme:
        case "file":
            return LocalStore(config.local_path())
        case "s3":
            from obstore.store import S3Store

            bucket, prefix = config.bucket_and_prefix()
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            s3 = S3Store(
                bucket,
                prefix=prefix,
                endpoint=endpoint,
                region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
                client_options={"allow_http": bool(endpoint and endpoint.startswith("http://"))},
                virtual_hosted_style_request=not endpoint,
            )
            return ObjectStore(s3)
        case "gs":
            from obstore.store import GCSStore

            bucket, prefix = config.bucket_and_prefix()
            return ObjectStore(GCSStore(bucket, prefix=prefix))
        case other:
            raise ValueError(f"unsupported store scheme {other!r}")
