from pathlib import Path

import pytest
import yaml

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.cli import build_app, run
from tests.support.argo_schema import schema_errors
from tests.support.fake_argo_server import fake_argo_server


def test_render_argo_writes_every_manifest(dataset: DynamicalDataset, tmp_path: Path) -> None:
    assert run(build_app([dataset]), ["render-argo", "--out", str(tmp_path), "--storage-secret", "creds"]) == 0
    template = yaml.safe_load((tmp_path / dataset.dataset_id / "workflow-template.yaml").read_text())
    plan = next(t for t in template["spec"]["templates"] if t["name"] == "plan")
    secret_names = {e["valueFrom"]["secretKeyRef"]["name"] for e in plan["container"]["env"] if "valueFrom" in e}
    assert secret_names == {"creds"}
    assert (tmp_path / "kustomization.yaml").exists()


def test_render_argo_takes_the_image_from_its_flag_or_environment(
    dataset: DynamicalDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def images() -> set[str]:
        template = yaml.safe_load((tmp_path / dataset.dataset_id / "workflow-template.yaml").read_text())
        return {t["container"]["image"] for t in template["spec"]["templates"] if "container" in t}

    monkeypatch.setenv("REFORMAT_IMAGE", "registry.example/reformatters:from-env")
    assert run(build_app([dataset]), ["render-argo", "--out", str(tmp_path)]) == 0
    assert images() == {"registry.example/reformatters:from-env"}
    assert run(build_app([dataset]), ["render-argo", "--out", str(tmp_path), "--image", "r.example/x:1.0"]) == 0
    assert images() == {"r.example/x:1.0"}
    assert run(build_app([dataset]), ["render-argo", "--out", str(tmp_path), "--image", "r.example/x"]) == 2
    assert "error: --image: image 'r.example/x' needs a tag or a digest" in capsys.readouterr().err
    args = [dataset.dataset_id, "backfill-argo", "2024-01-03T00", "--image", "r.example/x"]
    assert run(build_app([dataset]), args) == 2


def test_backfill_argo_prints_a_workflow_for_argo_submit(
    dataset: DynamicalDataset, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [dataset.dataset_id, "backfill-argo", "2024-01-03T00", "--workers", "3", "--filter-variable-names"]
    assert run(build_app([dataset]), [*args, "wind_u_10m", "--filter-start", "2024-01-01T06"]) == 0
    workflow = yaml.safe_load(capsys.readouterr().out)
    assert schema_errors(workflow) == []
    parameters = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    assert parameters["append-dim-end"] == "2024-01-03T00:00:00"
    assert parameters["filter-start"] == "2024-01-01T06:00:00"
    assert parameters["filter-variable-names"] == "wind_u_10m"
    assert workflow["spec"]["parallelism"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["yesterday"], "invalid date"),
        (["2024-01-03", "--filter-start", "2024-01-02", "--filter-end", "2024-01-01"], "must be after start"),
        (["2020-01-01"], "must be after the dataset start"),
    ],
)
def test_backfill_argo_refuses_bad_input(
    dataset: DynamicalDataset, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run(build_app([dataset]), [dataset.dataset_id, "backfill-argo", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:The `json` method is deprecated")
def test_backfill_argo_submit_prints_name_and_link(
    dataset: DynamicalDataset, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_argo_server() as (address, received):
        monkeypatch.setenv("ARGO_SERVER", f"http://{address}")
        app = build_app([dataset])
        assert run(app, [dataset.dataset_id, "backfill-argo", "2024-01-03", "--submit", "--namespace", "wx"]) == 0
    name, link = capsys.readouterr().out.split()
    assert name.startswith(f"{dataset.dataset_id}-backfill-")
    assert link == f"http://{address}/workflows/wx/{name}"
    assert received.requests[0][1] == "/api/v1/workflows/wx"
