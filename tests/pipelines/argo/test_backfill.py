import json

import pandas as pd
import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError
from pipelines.argo.backfill import ArgoRunOptions, ArgoServer, backfill_workflow
from steps.run_request import RunRequest
from tests.support.fake_argo_server import fake_argo_server

END = pd.Timestamp("2024-01-03")


def arguments(workflow: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}


def test_a_backfill_references_the_template_and_sets_only_what_was_asked(dataset: DynamicalDataset) -> None:
    workflow = backfill_workflow(dataset, RunRequest(append_dim_end=END)).to_dict()
    assert workflow["kind"] == "Workflow"
    assert workflow["metadata"]["generateName"] == f"{dataset.dataset_id}-backfill-"
    assert workflow["metadata"]["labels"]["reformatters/operation"] == "backfill"
    assert workflow["spec"]["workflowTemplateRef"] == {"name": dataset.dataset_id}
    assert arguments(workflow) == {
        "operation": "backfill",
        "append-dim-end": "2024-01-03T00:00:00",
        "write-deadline-seconds": "43200",
    }
    assert workflow["spec"]["parallelism"] == 1  # the request's workers
    assert "templates" not in workflow["spec"]


def test_filters_workers_parallelism_and_image(dataset: DynamicalDataset) -> None:
    request = RunRequest(
        append_dim_end=END,
        filter_contains=(pd.Timestamp("2024-01-01T06:00"), pd.Timestamp("2024-01-02")),
        filter_variable_names=("temperature_2m", "wind_u_10m"),
        workers=8,
        overwrite_chunks=True,
    )
    options = ArgoRunOptions(image="ghcr.io/example/reformatters:abc123")
    workflow = backfill_workflow(dataset, request, options).to_dict()
    values = arguments(workflow)
    assert values["filter-contains"] == "2024-01-01T06:00:00 2024-01-02T00:00:00"
    assert values["filter-variable-names"] == "temperature_2m wind_u_10m"
    assert values["workers"] == "8"
    assert values["overwrite-chunks"] == "true"
    assert "overwrite-metadata" not in values
    assert workflow["spec"]["parallelism"] == 8
    patch = json.loads(workflow["spec"]["podSpecPatch"])
    assert patch == {"containers": [{"name": "main", "image": "ghcr.io/example/reformatters:abc123"}]}
    limited = backfill_workflow(dataset, request, options.model_copy(update={"parallelism": 3})).to_dict()
    assert limited["spec"]["parallelism"] == 3


@pytest.mark.parametrize(
    ("request_values", "options", "message"),
    [
        ({"append_dim_end": pd.Timestamp("2023-12-31")}, {}, "must be after the dataset start"),
        ({"filter_variable_names": ("snow",)}, {}, "unknown variable name"),
        ({}, {"parallelism": 0}, "--parallelism must be at least 1"),
        ({}, {"write_deadline_seconds": 0}, "--write-deadline-seconds must be positive"),
    ],
)
def test_bad_requests_are_user_errors(
    dataset: DynamicalDataset, request_values: dict, options: dict, message: str
) -> None:
    request = RunRequest.model_validate({"append_dim_end": END, **request_values})
    with pytest.raises(UserInputError, match=message):
        backfill_workflow(dataset, request, ArgoRunOptions(**options))


def test_argo_server_settings_follow_the_argo_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGO_SERVER", raising=False)
    with pytest.raises(UserInputError, match="ARGO_SERVER"):
        ArgoServer.from_env()
    monkeypatch.setenv("ARGO_SERVER", "argo.example:2746")
    monkeypatch.delenv("ARGO_NAMESPACE", raising=False)
    server = ArgoServer.from_env()
    assert (server.url, server.namespace, server.token) == ("https://argo.example:2746", "argo", None)
    monkeypatch.setenv("ARGO_SECURE", "false")
    monkeypatch.setenv("ARGO_NAMESPACE", "weather")
    assert ArgoServer.from_env().url == "http://argo.example:2746"
    assert ArgoServer.from_env(namespace="batch").namespace == "batch"


@pytest.mark.filterwarnings("ignore:The `json` method is deprecated")
def test_submit_posts_the_workflow_and_returns_its_ui_link(
    dataset: DynamicalDataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_argo_server() as (address, received):
        monkeypatch.setenv("ARGO_SERVER", address)
        monkeypatch.setenv("ARGO_SECURE", "false")
        monkeypatch.setenv("ARGO_TOKEN", "token-123")
        monkeypatch.setenv("ARGO_NAMESPACE", "weather")
        workflow = backfill_workflow(dataset, RunRequest(append_dim_end=END, workers=2))
        name, link = ArgoServer.from_env().submit(workflow)
    assert name == f"{dataset.dataset_id}-backfill-x7k2q"
    assert link == f"http://{address}/workflows/weather/{name}"
    ((method, path, headers, body),) = received.requests
    assert (method, path) == ("POST", "/api/v1/workflows/weather")
    assert headers["Authorization"] == "Bearer token-123"
    assert body["workflow"]["spec"]["workflowTemplateRef"] == {"name": dataset.dataset_id}
