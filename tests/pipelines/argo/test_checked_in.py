import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from datasets.registry import DATASETS
from pipelines.argo.lint import lint
from pipelines.argo.render import render_all, to_yaml
from pipelines.argo.settings import ArgoSettings
from tests.support.argo_schema import schema_errors

ARGO = Path(__file__).parents[3] / "argo"


def test_checked_in_argo_manifests_are_what_render_argo_generates() -> None:
    expected = {name: to_yaml(manifest) for name, manifest in render_all(DATASETS, ArgoSettings()).items()}
    checked_in = {p.relative_to(ARGO).as_posix(): p.read_text() for p in sorted(ARGO.rglob("*.yaml"))}
    assert sorted(checked_in) == sorted(expected), "argo/ is stale: run `uv run main render-argo`"
    for name, text in expected.items():
        assert checked_in[name] == text, f"argo/{name} is stale: run `uv run main render-argo`"


def test_checked_in_manifests_validate_and_lint() -> None:
    kustomization = yaml.safe_load((ARGO / "kustomization.yaml").read_text())
    manifests = [yaml.safe_load((ARGO / resource).read_text()) for resource in kustomization["resources"]]
    for manifest in manifests:
        assert schema_errors(manifest) == []
    assert lint(manifests) == []


def test_kustomize_renders_the_checked_in_folder() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (.ci/run installs it)")
    subprocess.run([kubectl, "kustomize", str(ARGO)], capture_output=True, text=True, check=True)
