"""What makes a dataset virtual: where its references may point, how its manifests split, how its update polls."""

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import icechunk
import pandas as pd
from pydantic import Field

from datasets.common.config_models import FrozenBaseModel
from datasets.common.storage import ObjectStorageEnvironment, split_manifests


class VirtualConfig(FrozenBaseModel):
    """A virtual dataset's settings.

    `source_prefixes` are the archive's public locations (its S3 bucket and that bucket's HTTPS form): each gets an
    Icechunk virtual chunk container readers authorize with anonymous access. A run's `--source-url` (a mirror, a
    test archive) gets one more container. Manifests split every `manifest_split_size` append-dim positions, so a
    commit rewrites only the splits it touches. The update polls every `poll_seconds` for the files of the inits
    published within `update_lookback` (and every init after the newest published one), probing at most
    `probe_window` missing files per init and poll, in lead-time order.
    """

    source_prefixes: tuple[str, ...]
    source_region: str = "us-east-1"
    manifest_split_size: int = Field(ge=1)
    update_lookback: pd.Timedelta
    poll_seconds: float = Field(default=10, gt=0)
    probe_window: int = Field(default=16, ge=1)

    def container_prefixes(self, source_url: str) -> list[str]:
        prefixes = [prefix_of(p) for p in self.source_prefixes]
        own = prefix_of(source_url)
        return prefixes if own in prefixes else [*prefixes, own]

    def repository_options(self, source_url: str, append_dim: str) -> dict[str, Any]:
        """Keyword arguments for opening or creating the repository: its config and the containers' credentials."""
        config = split_manifests(append_dim, self.manifest_split_size)
        credentials: dict[str, Any] = {}
        for prefix in self.container_prefixes(source_url):
            public = prefix in (prefix_of(p) for p in self.source_prefixes)
            store, credential = _container_access(prefix, self.source_region, public)
            config.set_virtual_chunk_container(icechunk.VirtualChunkContainer(prefix, store))
            credentials[prefix] = credential
        return {
            "repository_config": config,
            "authorize_virtual_chunk_access": icechunk.containers_credentials(credentials),
        }


def prefix_of(url: str) -> str:
    """The container prefix for a source URL: scheme, host or bucket, path, with a trailing slash; a bare path
    becomes an absolute file:// URL."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return f"file://{Path(parsed.path if parsed.scheme else url).absolute().as_posix().rstrip('/')}/"
    return url.rstrip("/") + "/"


def reference_location(source_url: str, relative_path: str) -> str:
    """The URL a reference stores for a file at `relative_path` below `source_url` (absolute, file:// for paths)."""
    return prefix_of(source_url) + relative_path.lstrip("/")


def _container_access(prefix: str, region: str, public: bool) -> tuple[Any, Any]:
    scheme = urlparse(prefix).scheme
    match scheme:
        case "s3":
            if public:
                return icechunk.s3_store(region=region, anonymous=True), icechunk.s3_anonymous_credentials()
            env = ObjectStorageEnvironment.read()
            store = icechunk.s3_store(
                region=env.region,
                endpoint_url=env.endpoint,
                allow_http=env.allow_http,
                s3_compatible=env.endpoint is not None,
                force_path_style=env.path_style,
                anonymous=not env.signed,
            )
            credential = icechunk.s3_from_env_credentials() if env.signed else icechunk.s3_anonymous_credentials()
            return store, credential
        case "http" | "https":
            return icechunk.http_store(), icechunk.credentials.HttpAccess
        case "file":
            return icechunk.local_filesystem_store(urlparse(prefix).path), icechunk.credentials.LocalFileSystemAccess
        case other:
            raise ValueError(f"no virtual chunk container for {other!r} URLs ({prefix})")
