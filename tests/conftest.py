from pathlib import Path

import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from tests.support.archive_fixtures import http_archive, moto_endpoint, s3_archive, source_cache  # noqa: F401
from tests.support.runs import INITS
from tests.support.synthetic_dataset import synthetic_dataset, write_source_archive


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
