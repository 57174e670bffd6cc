"""Every store the project opens — Icechunk repositories, plain Zarr replicas, run records, source archives — is
named by URL and built here, from one reading of the environment, with the same endpoint, region, addressing
style and credential rules."""

import os
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlparse

import icechunk
from obstore.store import GCSStore, HTTPStore, LocalStore, ObjectStore, S3Store
from zarr.abc.store import Store
from zarr.storage import LocalStore as ZarrLocalStore
from zarr.storage import ObjectStore as ZarrObjectStore

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError

STORE_URL_ENV = "REFORMAT_STORE_URL"
REPLICA_URLS_ENV = "REFORMAT_REPLICA_URLS"
STORE_SCHEMES = ("file", "s3", "gs")
DEFAULT_REGION = "us-east-1"


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

    def sibling_url(self, suffix: str) -> str:
        """The URL of `<this store><suffix>`, e.g. `.runs/<run-id>` beside the repository."""
        if self.scheme == "file":
            return str(self.local_path()) + suffix
        return self.url.rstrip("/") + suffix


def default_store_url(dataset_id: str, dataset_version: str) -> str:
    return f"./data/{dataset_id}/v{dataset_version}.icechunk"


def parse_store_config(url: str) -> StoreConfig:
    """A store URL from a person or the environment; anything unusable is bad input (UserInputError)."""
    parsed = urlparse(url)
    scheme = parsed.scheme or "file"
    if not url.strip():
        raise UserInputError("a store URL must not be empty")
    if scheme not in STORE_SCHEMES:
        raise UserInputError(
            f"unsupported store URL {url!r}: use a path, file://, s3://bucket/prefix or gs://bucket/prefix"
        )
    if scheme != "file" and (not parsed.netloc or not parsed.path.strip("/")):
        raise UserInputError(f"store URL {url!r} needs a bucket and a prefix, like {scheme}://bucket/datasets/name")
    store_format = "zarr" if url.rstrip("/").endswith(".zarr") else "icechunk"
    return StoreConfig(url=url, format=store_format)


class ObjectStorageEnvironment(FrozenBaseModel):
    """S3-compatible settings from the environment: a custom endpoint (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL)
    means path-style requests, and plain HTTP only if the endpoint says so; the region defaults to us-east-1;
    requests are signed only when credentials are set."""

    endpoint: str | None
    region: str
    signed: bool

    @classmethod
    def read(cls) -> Self:
        return cls(
            endpoint=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            signed=bool(os.environ.get("AWS_ACCESS_KEY_ID")),
        )

    @property
    def allow_http(self) -> bool:
        return bool(self.endpoint and self.endpoint.startswith("http://"))

    @property
    def path_style(self) -> bool:
        return self.endpoint is not None


def icechunk_storage(config: StoreConfig) -> icechunk.Storage:
    match config.scheme:
        case "file":
            return icechunk.local_filesystem_storage(str(config.local_path()))
        case "s3":
            bucket, prefix = config.bucket_and_prefix()
            env = ObjectStorageEnvironment.read()
            return icechunk.s3_storage(
                bucket=bucket,
                prefix=prefix,
                region=env.region,
                endpoint_url=env.endpoint,
                allow_http=env.allow_http,
                force_path_style=env.path_style,
                anonymous=not env.signed,
                from_env=env.signed or None,
            )
        case "gs":
            bucket, prefix = config.bucket_and_prefix()
            return icechunk.gcs_storage(bucket=bucket, prefix=prefix, from_env=True)
        case other:
            raise AssertionError(f"unsupported store scheme {other!r}")


def object_store(
    url: str,
    *,
    anonymous: bool | None = None,
    endpoint: str | None = None,
    region: str | None = None,
    client_options: dict[str, Any] | None = None,
    retry_config: dict[str, Any] | None = None,
) -> ObjectStore:
    """An obstore store rooted at `url` (a path, file://, s3://, gs://, http(s)://).

    S3 follows ObjectStorageEnvironment; `endpoint`/`region` override it (e.g. a public AWS bucket addressed by
    its HTTPS host), `anonymous` overrides whether requests are signed.
    """
    parsed = urlparse(url)
    options = dict(client_options or {})
    match parsed.scheme:
        case "" | "file":
            path = Path(url.removeprefix("file://")).absolute()
            return LocalStore(path, mkdir=True) if url.strip("/") else LocalStore()
        case "s3":
            env = ObjectStorageEnvironment.read()
            chosen_endpoint = endpoint or env.endpoint
            options.setdefault("allow_http", bool(chosen_endpoint and chosen_endpoint.startswith("http://")))
            located = {"endpoint": chosen_endpoint} if chosen_endpoint else {}
            return S3Store(
                parsed.netloc,
                prefix=parsed.path.strip("/") or None,
                region=region or env.region,
                skip_signature=not env.signed if anonymous is None else anonymous,
                virtual_hosted_style_request=chosen_endpoint is None,
                client_options=options,
                retry_config=retry_config,
                **located,
            )
        case "gs":
            return GCSStore(
                parsed.netloc,
                prefix=parsed.path.strip("/") or None,
                client_options=options,
                retry_config=retry_config,
            )
        case "http" | "https":
            return HTTPStore.from_url(url, client_options=options, retry_config=retry_config)
        case other:
            raise ValueError(f"unsupported URL scheme {other!r} in {url!r}")


def split_manifests(append_dim: str, split_size: int) -> icechunk.RepositoryConfig:
    """A repository config whose manifests split every `split_size` stored chunks (shards) along `append_dim`: a
    commit rewrites only the splits it touches and a read of a recent range fetches only the newest split."""
    config = icechunk.RepositoryConfig.default()
    splitting = icechunk.ManifestSplittingConfig.from_dict(
        {
            icechunk.ManifestSplitCondition.AnyArray(): {
                icechunk.ManifestSplitDimCondition.DimensionName(append_dim): split_size
            }
        }
    )
    config.manifest = icechunk.ManifestConfig(splitting=splitting)
    return config


def open_repository(
    config: StoreConfig,
    *,
    create: bool,
    repository_config: icechunk.RepositoryConfig | None = None,
    authorize_virtual_chunk_access: dict[str, Any] | None = None,
) -> icechunk.Repository:
    """Datasets pass their repository config (manifest splitting; a virtual dataset's chunk containers too, with
    their credentials). Creating a repository stores the config in it."""
    assert config.format == "icechunk", f"{config.url} is not an Icechunk store"
    storage = icechunk_storage(config)
    if icechunk.Repository.exists(storage):
        return icechunk.Repository.open(
            storage, config=repository_config, authorize_virtual_chunk_access=authorize_virtual_chunk_access
        )
    if not create:
        raise FileNotFoundError(f"no Icechunk repository at {config.url}")
    return icechunk.Repository.create(
        storage, config=repository_config, authorize_virtual_chunk_access=authorize_virtual_chunk_access
    )


def zarr_store(config: StoreConfig) -> Store:
    """A plain Zarr v3 store (used for replicas)."""
    assert config.format == "zarr", f"{config.url} is not a plain Zarr store"
    if config.scheme == "file":
        return ZarrLocalStore(config.local_path())
    return ZarrObjectStore(object_store(config.url))
