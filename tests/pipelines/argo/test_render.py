import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from datasets.common.config_models import DatasetAttributes
from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.registry import get_dataset
from pipelines.argo.backfill import ArgoRunOptions, backfill_workflow
from pipelines.argo.lint import lint
from pipelines.argo.render import check_schedules, dataset_manifests, render_all, to_yaml, write_manifests
from pipelines.argo.settings import IMAGE_REPOSITORY, WORKERS_OUTPUT, ArgoSettings, default_image
from steps.run_request import RunRequest, argo_name
from tests.pipelines.argo.conftest import leaf
from tests.support.argo_schema import schema_errors
from tests.support.synthetic_dataset import SyntheticTemplateConfig


def full_backfill(dataset: DynamicalDataset) -> dict[str, Any]:
    request = RunRequest(
        append_dim_end=pd.Timestamp("2024-01-03"),
        filter_start=pd.Timestamp("2024-01-01T06:00"),
        filter_end=pd.Timestamp("2024-01-02"),
        filter_contains=(pd.Timestamp("2024-01-01T12:00"),),
        filter_variable_names=("temperature_2m",),
        workers=4,
        overwrite_chunks=True,
        overwrite_metadata=True,
        run_id="backfill-1",
        store_url="s3://bucket/store.icechunk",
        source_url="https://mirror.example/gfs",
    )
    options = ArgoRunOptions(parallelism=2, image="registry.example/reformatters:test")
    return backfill_workflow(dataset, request, options).to_dict()


def test_every_manifest_validates_strictly_against_argo_schema_and_crds(
    dataset: DynamicalDataset, manifests: dict[str, dict[str, Any]]
) -> None:
    for manifest in [*manifests.values(), full_backfill(dataset)]:
        assert schema_errors(manifest) == []


def test_manifests_and_a_backfill_pass_the_offline_lint(
    dataset: DynamicalDataset, manifests: dict[str, dict[str, Any]]
) -> None:
    assert lint([*manifests.values(), full_backfill(dataset)]) == []


def test_dag_is_plan_then_a_fan_out_over_a_sequence_of_workers_then_join(template: dict[str, Any]) -> None:
    dag = leaf(template, template["spec"]["entrypoint"])["dag"]
    tasks = {t["name"]: t for t in dag["tasks"]}
    assert list(tasks) == ["plan", "write", "join"]
    assert "depends" not in tasks["plan"]
    assert tasks["write"]["depends"] == "plan"
    assert tasks["write"]["withSequence"] == {"count": "{{tasks.plan.outputs.parameters.workers}}"}
    assert {"name": "worker-index", "value": "{{item}}"} in tasks["write"]["arguments"]["parameters"]
    assert tasks["join"]["depends"] == "write.Succeeded"
    assert "failFast" not in dag
    plan = leaf(template, "plan")
    outputs = {p["name"]: p["valueFrom"]["path"] for p in plan["outputs"]["parameters"]}
    assert outputs["workers"] == WORKERS_OUTPUT
    command = plan["container"]["command"]
    assert command[command.index("--workers-output") + 1] == WORKERS_OUTPUT


def test_step_commands_follow_the_step_cli_contract(dataset: DynamicalDataset, template: dict[str, Any]) -> None:
    commands = {name: leaf(template, name)["container"]["command"] for name in ("plan", "write", "join", "validate")}
    assert commands["plan"][:4] == ["main", dataset.dataset_id, "step", "plan"]
    assert commands["plan"][-4:-2] == ["--output", "/tmp/outputs/plan.json"]
    assert commands["write"][:4] == ["main", dataset.dataset_id, "step", "write"]
    assert commands["write"][commands["write"].index("--worker-index") + 1] == "{{inputs.parameters.worker-index}}"
    assert commands["join"][:4] == ["main", dataset.dataset_id, "step", "join"]
    assert commands["validate"][:3] == ["main", dataset.dataset_id, "validate"]


def test_leaf_steps_retry_with_exponential_backoff_within_a_deadline(template: dict[str, Any]) -> None:
    for name in ("plan", "write", "join", "validate"):
        step = leaf(template, name)
        retry = step["retryStrategy"]
        assert retry["limit"] >= 1
        assert retry["retryPolicy"] == "Always"
        assert retry["backoff"]["factor"] >= 2
        assert retry["backoff"]["duration"] == "30s"
        assert step["activeDeadlineSeconds"]
    assert leaf(template, "write")["activeDeadlineSeconds"] == "{{inputs.parameters.write-deadline-seconds}}"
    assert "activeDeadlineSeconds" not in leaf(template, "pipeline")


def test_resources_and_volumes_come_from_the_operational_config(
    dataset: DynamicalDataset, template: dict[str, Any], tmp_path: Path
) -> None:
    operational = dataset.operational
    write = leaf(template, "write")
    assert write["container"]["resources"]["requests"] == {
        "cpu": operational.cpu,
        "memory": operational.memory,
        "ephemeral-storage": operational.ephemeral_storage,
    }
    volumes = {v["name"]: v["emptyDir"] for v in write["volumes"]}
    assert volumes == {
        "scratch": {"sizeLimit": operational.ephemeral_storage},
        "shm": {"medium": "Memory", "sizeLimit": "512Mi"},
    }
    mounts = {m["name"]: m["mountPath"] for m in write["container"]["volumeMounts"]}
    assert mounts == {"scratch": "/tmp", "shm": "/dev/shm"}
    without_shm = dataset.model_copy(update={"operational": operational.model_copy(update={"shared_memory": None})})
    files = render_all([without_shm], ArgoSettings())
    write = leaf(files[f"{dataset.dataset_id}/workflow-template.yaml"], "write")
    assert [v["name"] for v in write["volumes"]] == ["scratch"]


def test_every_pod_is_non_root_without_privileges_on_a_read_only_root(template: dict[str, Any]) -> None:
    assert template["spec"]["securityContext"] == {
        "fsGroup": 1000,
        "runAsGroup": 1000,
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    containers = [t for t in template["spec"]["templates"] if "container" in t]
    assert {t["name"] for t in containers} == {"plan", "write", "join", "validate", "exit-handler"}
    for step in containers:
        assert step["container"]["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
        }


def test_no_secret_value_reaches_a_manifest(dataset: DynamicalDataset, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID0001",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "session-token-example-value",
        "ARGO_TOKEN": "argo-token-example-value",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    files = render_all([dataset], ArgoSettings(storage_secret="store-creds"))
    text = "".join(to_yaml(m) for m in [*files.values(), full_backfill(dataset)])
    for value in secrets.values():
        assert value not in text
    for step in files[f"{dataset.dataset_id}/workflow-template.yaml"]["spec"]["templates"]:
        for variable in (step.get("container") or {}).get("env", []):
            if variable["name"].startswith("AWS_"):
                assert set(variable) == {"name", "valueFrom"}
                assert variable["valueFrom"]["secretKeyRef"]["name"] == "store-creds"
            else:
                assert "secret" not in variable["name"].lower()
                assert "token" not in variable["name"].lower()


def test_parameters_labels_and_housekeeping(dataset: DynamicalDataset, template: dict[str, Any]) -> None:
    spec = template["spec"]
    parameters = {p["name"]: p for p in spec["arguments"]["parameters"]}
    assert list(parameters) == [*(argo_name(f) for f in RunRequest.model_fields), "write-deadline-seconds"]
    assert parameters["run-id"]["value"] == "{{workflow.name}}"
    assert parameters["operation"]["enum"] == ["backfill", "update"]
    assert parameters["workers"]["value"] == str(dataset.operational.update_workers)
    assert parameters["source-url"]["value"] == dataset.source_base_url
    labels = {"app.kubernetes.io/name": "reformatters", "reformatters/dataset": dataset.dataset_id}
    assert template["metadata"]["labels"] == labels
    assert spec["workflowMetadata"]["labels"] == labels
    assert spec["podMetadata"]["labels"] == labels
    assert spec["podGC"] == {"strategy": "OnPodSuccess"}
    assert spec["ttlStrategy"]["secondsAfterSuccess"] > 0
    assert spec["ttlStrategy"]["secondsAfterFailure"] > 0
    assert leaf(template, "join")["synchronization"] == {"mutexes": [{"name": f"{dataset.dataset_id}-publish"}]}
    assert spec["onExit"] == "exit-handler"
    command = leaf(template, "exit-handler")["container"]["command"]
    assert command[command.index("--status") + 1] == "{{workflow.status}}"
    assert command[command.index("--failures") + 1] == "{{workflow.failures}}"


def test_every_node_has_a_readable_display_name(template: dict[str, Any]) -> None:
    names = {
        t["name"]: t["annotations"]["workflows.argoproj.io/display-name"]
        for t in template["spec"]["templates"]
        if "container" in t
    }
    assert names == {
        "plan": "plan {{inputs.parameters.operation}}",
        "write": "write: worker {{inputs.parameters.worker-index}}",
        "join": "join and publish",
        "validate": "validate",
        "exit-handler": "outcome",
    }


def test_runs_emit_prometheus_metrics_labelled_with_dataset_and_operation(
    dataset: DynamicalDataset, template: dict[str, Any]
) -> None:
    emitted = {
        metric["name"]: (name, metric)
        for name in ("pipeline", "join", "exit-handler")
        for metric in leaf(template, name)["metrics"]["prometheus"]
    }
    assert {name: where for name, (where, _) in emitted.items()} == {
        "reformatters_run_duration_seconds": "pipeline",
        "reformatters_source_files_failed": "join",
        "reformatters_bytes_written": "join",
        "reformatters_run_published": "exit-handler",
    }
    for _, metric in emitted.values():
        labels = {label["key"]: label["value"] for label in metric["labels"]}
        assert labels["dataset"] == dataset.dataset_id
        assert labels["operation"] == "{{workflow.parameters.operation}}"
    outputs = {p["name"]: p for p in leaf(template, "exit-handler")["outputs"]["parameters"]}
    assert outputs["outcome"]["globalName"] == "outcome"  # shown with the workflow's outputs in the UI


def test_cron_workflows_reference_the_template(dataset: DynamicalDataset, manifests: dict[str, dict[str, Any]]) -> None:
    operational = dataset.operational
    for operation, schedule in (("update", operational.update_schedule), ("validate", operational.validate_schedule)):
        cron = manifests[f"{operation}-cron-workflow.yaml"]
        spec = cron["spec"]
        assert cron["metadata"]["name"] == f"{dataset.dataset_id}-{operation}"
        assert cron["metadata"]["labels"]["reformatters/operation"] == operation
        assert spec["schedules"] == [schedule]
        assert spec["timezone"] == operational.timezone
        assert spec["concurrencyPolicy"] == "Forbid"
        assert spec["suspend"] is False
        assert spec["startingDeadlineSeconds"] > 0
        assert spec["successfulJobsHistoryLimit"] > 0
        assert spec["failedJobsHistoryLimit"] > 0
        assert spec["workflowSpec"]["workflowTemplateRef"] == {"name": dataset.dataset_id}
        assert "templates" not in spec["workflowSpec"]
    update = manifests["update-cron-workflow.yaml"]["spec"]["workflowSpec"]
    assert {"name": "operation", "value": "update"} in update["arguments"]["parameters"]
    assert update["activeDeadlineSeconds"] == operational.update_deadline_seconds
    assert manifests["validate-cron-workflow.yaml"]["spec"]["workflowSpec"]["entrypoint"] == "validate"


def test_validation_scheduled_before_the_update_deadline_is_refused(dataset: DynamicalDataset) -> None:
    check_schedules(dataset)
    early = dataset.operational.model_copy(update={"validate_schedule": "5 */6 * * *"})
    with pytest.raises(ValueError, match="validation"):
        check_schedules(dataset.model_copy(update={"operational": early}))


def test_write_manifests_replaces_stale_files_and_keeps_others(dataset: DynamicalDataset, tmp_path: Path) -> None:
    out = tmp_path / "argo"
    (out / "retired-dataset").mkdir(parents=True)
    (out / "retired-dataset" / "workflow-template.yaml").write_text("stale")
    (out / "notes.md").write_text("kept")
    written, stale = write_manifests([dataset], out, ArgoSettings())
    assert [p.relative_to(out).as_posix() for p in stale] == ["retired-dataset/workflow-template.yaml"]
    assert not (out / "retired-dataset").exists()
    assert (out / "notes.md").read_text() == "kept"
    assert sorted(p.relative_to(out).as_posix() for p in written) == sorted(
        [
            "kustomization.yaml",
            "kustomizeconfig.yaml",
            f"{dataset.dataset_id}/workflow-template.yaml",
            f"{dataset.dataset_id}/update-cron-workflow.yaml",
            f"{dataset.dataset_id}/validate-cron-workflow.yaml",
        ]
    )
    assert write_manifests([dataset], out, ArgoSettings())[1] == []
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert kustomization["images"] == [{"name": IMAGE_REPOSITORY, "newTag": version("reformatters")}]


def test_only_deployable_datasets_get_manifests(dataset: DynamicalDataset, tmp_path: Path) -> None:
    out = tmp_path / "argo"
    write_manifests([dataset], out, ArgoSettings())
    withdrawn = dataset.model_copy(update={"deployable": False})
    files = render_all([withdrawn], ArgoSettings())
    assert sorted(files) == ["kustomization.yaml", "kustomizeconfig.yaml"]
    assert files["kustomization.yaml"]["resources"] == []
    _, stale = write_manifests([withdrawn], out, ArgoSettings())
    assert not (out / dataset.dataset_id).exists()
    assert len(stale) == 3


def test_a_dataset_that_is_not_deployed_still_renders_its_manifests_for_tests() -> None:
    example = get_dataset("example-gfs-coarse-forecast")
    assert not example.deployable
    manifests = dataset_manifests(example, ArgoSettings())
    assert lint(list(manifests.values())) == []
    assert all(schema_errors(manifest) == [] for manifest in manifests.values())


def test_kustomize_renders_every_pod_with_the_tagged_image(dataset: DynamicalDataset, tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (.ci/run installs it)")
    write_manifests([dataset], tmp_path / "base", ArgoSettings())
    rendered = subprocess.run(
        [kubectl, "kustomize", str(tmp_path / "base")], capture_output=True, text=True, check=True
    )
    documents = list(yaml.safe_load_all(rendered.stdout))
    assert sorted(d["kind"] for d in documents) == ["CronWorkflow", "CronWorkflow", "WorkflowTemplate"]
    (template,) = [d for d in documents if d["kind"] == "WorkflowTemplate"]
    images = {t["container"]["image"] for t in template["spec"]["templates"] if "container" in t}
    assert images == {default_image()}
    digest = "sha256:" + "0" * 64
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "resources": ["../base"],
                "images": [{"name": IMAGE_REPOSITORY, "newName": "registry.example/reformatters", "digest": digest}],
            }
        )
    )
    rendered = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=True)
    (template,) = [d for d in yaml.safe_load_all(rendered.stdout) if d["kind"] == "WorkflowTemplate"]
    images = {t["container"]["image"] for t in template["spec"]["templates"] if "container" in t}
    assert images == {f"registry.example/reformatters@{digest}"}


@pytest.mark.parametrize(
    ("reference", "pin"),
    [
        ("ghcr.io/org/reformatters:1.2.3", {"newTag": "1.2.3"}),
        ("localhost:5000/reformatters:dev", {"newTag": "dev"}),
        ("ghcr.io/org/reformatters@sha256:" + "a" * 64, {"digest": "sha256:" + "a" * 64}),
    ],
)
def test_the_image_is_pinned_by_a_tag_or_a_digest(dataset: DynamicalDataset, reference: str, pin: dict) -> None:
    files = render_all([dataset], ArgoSettings(image=reference))
    template = files[f"{dataset.dataset_id}/workflow-template.yaml"]
    assert {t["container"]["image"] for t in template["spec"]["templates"] if "container" in t} == {reference}
    assert files["kustomization.yaml"]["images"] == [{"name": reference.split("@")[0].rsplit(":", 1)[0], **pin}]


@pytest.mark.parametrize("reference", ["ghcr.io/org/reformatters", "localhost:5000/reformatters", "not an image"])
def test_an_image_without_a_tag_or_digest_is_refused(reference: str) -> None:
    with pytest.raises(ValueError, match=r"tag or a digest|not an image reference"):
        ArgoSettings(image=reference)


class LongNamedTemplateConfig(SyntheticTemplateConfig):
    @property
    def dataset_attributes(self) -> DatasetAttributes:
        return super().dataset_attributes.model_copy(
            update={"dataset_id": "a-dataset-id-too-long-for-a-cron-workflow-name"}
        )


def test_rendering_refuses_a_dataset_whose_manifests_fail_the_lint(dataset: DynamicalDataset) -> None:
    config = dataset.template_config
    assert isinstance(config, SyntheticTemplateConfig)
    long_named = dataset.model_copy(
        update={"template_config": LongNamedTemplateConfig(template_dir=config.template_dir)}
    )
    with pytest.raises(ValueError, match="at most 52 characters"):
        render_all([long_named], ArgoSettings())
