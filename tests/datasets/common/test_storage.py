import numpy as np
import obstore
import pytest
import zarr
from obstore.store import GCSStore, LocalStore, S3Store

from datasets.common.errors import UserInputError
from datasets.common.storage import (
    ObjectStorageEnvironment,
    StoreConfig,
    icechunk_storage,
    object_store,
    open_repository,
    parse_store_config,
    zarr_store,
)


@pytest.mark.parametrize(
    "url",
    ["ftp://x/y", "az://container/prefix", "s3://bucket-only", "s3:///no-bucket/prefix", "gs://", "http://x/y", ""],
)
def test_unusable_store_urls_are_bad_input(url: str) -> None:
    with pytest.raises(UserInputError):
        parse_store_config(url)


@pytest.mark.parametrize(
    ("url", "scheme", "bucket_and_prefix", "store_format"),
    [
        ("s3://bucket/datasets/gfs.icechunk", "s3", ("bucket", "datasets/gfs.icechunk"), "icechunk"),
        ("gs://my-bucket/a/b/replica.zarr/", "gs", ("my-bucket", "a/b/replica.zarr"), "zarr"),
        ("file:///tmp/x.icechunk", "file", ("", "tmp/x.icechunk"), "icechunk"),
        ("data/x.zarr", "file", ("", "data/x.zarr"), "zarr"),
    ],
)
def test_store_urls_parse(url: str, scheme: str, bucket_and_prefix: tuple[str, str], store_format: str) -> None:
    config = parse_store_config(url)
    assert (config.scheme, config.bucket_and_prefix(), config.format) == (scheme, bucket_and_prefix, store_format)


def test_gcs_urls_give_gcs_stores() -> None:
    store = object_store("gs://my-bucket/a/b")
    assert isinstance(store, GCSStore)
    assert (store.config["bucket"], store.prefix) == ("my-bucket", "a/b")
    icechunk_storage(parse_store_config("gs://my-bucket/a/b.icechunk"))


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"])
def test_either_endpoint_variable_gives_the_same_settings(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "http://127.0.0.1:9000")
    env = ObjectStorageEnvironment.read()
    assert env == ObjectStorageEnvironment(endpoint="http://127.0.0.1:9000", region="us-east-1", signed=False)
    assert env.allow_http
    assert env.path_style
    store = object_store("s3://bucket/prefix")
    assert isinstance(store, S3Store)
    assert store.config["endpoint"] == "http://127.0.0.1:9000"
    assert store.config["virtual_hosted_style_request"] == "false"
    assert store.client_options["allow_http"] == "true"


def test_without_an_endpoint_s3_is_virtual_hosted_https(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    store = object_store("s3://bucket/prefix")
    assert isinstance(store, S3Store)
    assert store.config["region"] == "eu-central-1"
    assert store.config.get("virtual_hosted_style_request") == "true"
    assert store.config["skip_signature"] == "true"


def test_local_urls_give_local_stores(tmp_path: pytest.TempPathFactory) -> None:
    assert isinstance(object_store(f"file://{tmp_path}/runs/r1"), LocalStore)
    assert isinstance(object_store(f"{tmp_path}/runs/r2"), LocalStore)


def test_every_store_kind_works_on_moto(s3_bucket: str) -> None:
    """Icechunk repository, plain Zarr replica and run-record stores all reach the same S3 endpoint."""
    repo_config = parse_store_config(f"s3://{s3_bucket}/datasets/x.icechunk")
    repo = open_repository(repo_config, create=True)
    assert "main" in repo.list_branches()

    replica = zarr_store(parse_store_config(f"s3://{s3_bucket}/datasets/x.zarr"))
    zarr.create_array(replica, name="v", shape=(2,), dtype="int32", fill_value=0)[:] = [1, 2]
    assert np.asarray(zarr.open_array(replica, path="v", mode="r")[:]).tolist() == [1, 2]

    runs = object_store(repo_config.sibling_url(".runs/r1"))
    obstore.put(runs, "plan.json", b"{}")
    listed = [meta["path"] for batch in obstore.list(object_store(f"s3://{s3_bucket}/datasets")) for meta in batch]
    assert "x.icechunk.runs/r1/plan.json" in listed
    assert any(path.startswith("x.icechunk/") for path in listed)
    assert any(path.startswith("x.zarr/") for path in listed)


def test_sibling_urls_sit_beside_the_store(tmp_path: pytest.TempPathFactory) -> None:
    assert StoreConfig(url="s3://b/p/x.icechunk/").sibling_url(".runs/r") == "s3://b/p/x.icechunk.runs/r"
    assert StoreConfig(url=f"{tmp_path}/x.icechunk").sibling_url(".runs") == f"{tmp_path}/x.icechunk.runs"
