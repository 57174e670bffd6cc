from pathlib import Path

import pytest
from hypothesis import settings

from datasets.common.dynamical_dataset import DynamicalDataset
from tests.support.runs import INITS
from tests.support.synthetic_dataset import synthetic_dataset, write_source_archive

pytest_plugins = ["tests.support.archive_fixtures"]

# A 2-core machine running the suite in parallel is slow now and then: timing is never a test's business.
settings.register_profile("project", deadline=None)
settings.load_profile("project")


@pytest.fixture
def synthetic(tmp_path: Path) -> DynamicalDataset:
    dataset = synthetic_dataset(tmp_path / "templates", tmp_path / "source")
    dataset.template_config.update_template()
    return dataset


@pytest.fixture
def source(synthetic: DynamicalDataset) -> Path:
    root = Path(synthetic.source_base_url)
    write_source_archive(root, INITS)
    return root


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return str(tmp_path / "store" / "synthetic.icechunk")


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    import boto3

    for key, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    bucket = "test-" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40]
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return bucket
