from pathlib import Path
from typing import Any

import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.argo.render import dataset_manifests
from pipelines.argo.settings import ArgoSettings
from tests.support.synthetic_dataset import synthetic_dataset


@pytest.fixture
def dataset(tmp_path: Path) -> DynamicalDataset:
    """The synthetic dataset with a shared-memory volume configured (rendering needs no template on disk)."""
    plain = synthetic_dataset(tmp_path / "templates", tmp_path / "source")
    return plain.model_copy(update={"operational": plain.operational.model_copy(update={"shared_memory": "512Mi"})})


@pytest.fixture
def manifests(dataset: DynamicalDataset) -> dict[str, dict[str, Any]]:
    return dataset_manifests(dataset, ArgoSettings())


@pytest.fixture
def template(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return manifests["workflow-template.yaml"]


def leaf(template: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in template["spec"]["templates"] if t["name"] == name)
