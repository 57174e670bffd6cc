import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from datasets.registry import DATASETS
from pipelines.argo.lint import lint
from pipelines.argo.render import render_all, to_yaml
from pipelines.argo.settings import ArgoSettings, default_image, pinned_image
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


def test_every_image_in_argo_is_pinned_by_a_tag_or_a_digest() -> None:
    def images(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["image"]] if isinstance(node.get("image"), str) else []
            return found + [image for value in node.values() for image in images(value)]
        if isinstance(node, list):
            return [image for value in node for image in images(value)]
        return []

    found = [image for path in sorted(ARGO.rglob("*.yaml")) for image in images(yaml.safe_load(path.read_text()))]
    assert found, "the manifests name the image"
    assert [image for image in found if pinned_image(image) != image] == []
    assert set(found) == {default_image()}
