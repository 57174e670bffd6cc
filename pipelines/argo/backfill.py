import json
import os
from typing import Any

import pandas as pd
from hera.workflows import Parameter, Workflow, WorkflowsService
from hera.workflows import models as m

from datasets.common.config_models import FrozenBaseModel
from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError
from pipelines.argo.render import labels
from pipelines.argo.settings import Param

BACKFILL_WRITE_DEADLINE_SECONDS = 12 * 3600
DEFAULT_NAMESPACE = "argo"


class BackfillRequest(FrozenBaseModel):
    append_dim_end: pd.Timestamp
    filter_start: pd.Timestamp | None = None
    filter_end: pd.Timestamp | None = None
    filter_contains: tuple[pd.Timestamp, ...] = ()
    filter_variable_names: tuple[str, ...] = ()
    workers: int | None = None
    parallelism: int | None = None
    image: str | None = None
    overwrite_chunks: bool = False
    overwrite_metadata: bool = False
    run_id: str | None = None
    store_url: str | None = None
    source_url: str | None = None
    write_deadline_seconds: int = BACKFILL_WRITE_DEADLINE_SECONDS


def _iso(value: pd.Timestamp) -> str:
    return value.isoformat()


def check_request(dataset: DynamicalDataset[Any, Any], request: BackfillRequest) -> None:
    config = dataset.template_config
    if request.append_dim_end <= config.append_dim_start:
        raise UserInputError(
            f"append-dim end {_iso(request.append_dim_end)} must be after the dataset start "
            f"{_iso(config.append_dim_start)}"
        )
    known = {v.name for v in config.data_vars}
    unknown = sorted(set(request.filter_variable_names) - known)
    if unknown:
        raise UserInputError(f"unknown variable names {unknown} (known: {', '.join(sorted(known))})")
    for name, value in (("workers", request.workers), ("parallelism", request.parallelism)):
        if value is not None and value < 1:
            raise UserInputError(f"--{name} must be at least 1, got {value}")
    if request.write_deadline_seconds < 1:
        raise UserInputError("--write-deadline-seconds must be positive")


def backfill_workflow(dataset: DynamicalDataset[Any, Any], request: BackfillRequest) -> Workflow:
    """A Workflow that runs the dataset's WorkflowTemplate as a backfill, for `argo submit -`."""
    check_request(dataset, request)
    values: dict[Param, str | None] = {
        Param.operation: "backfill",
        Param.append_dim_end: _iso(request.append_dim_end),
        Param.filter_start: _iso(request.filter_start) if request.filter_start is not None else None,
        Param.filter_end: _iso(request.filter_end) if request.filter_end is not None else None,
        Param.filter_contains: " ".join(_iso(t) for t in request.filter_contains) or None,
        Param.filter_variable_names: " ".join(request.filter_variable_names) or None,
        Param.workers: str(request.workers) if request.workers is not None else None,
        Param.overwrite_chunks: "true" if request.overwrite_chunks else None,
        Param.overwrite_metadata: "true" if request.overwrite_metadata else None,
        Param.run_id: request.run_id,
        Param.write_deadline_seconds: str(request.write_deadline_seconds),
        Param.store_url: request.store_url,
        Param.source_url: request.source_url,
    }
    parallelism = request.parallelism if request.parallelism is not None else request.workers
    pod_spec_patch = None
    if request.image:
        pod_spec_patch = json.dumps({"containers": [{"name": "main", "image": request.image}]})
    return Workflow(
        generate_name=f"{dataset.dataset_id}-backfill-",
        labels=labels(dataset, "backfill"),
        workflow_template_ref=m.WorkflowTemplateRef(name=dataset.dataset_id),
        arguments=[Parameter(name=str(name), value=value) for name, value in values.items() if value is not None],
        parallelism=parallelism,
        pod_spec_patch=pod_spec_patch,
    )


class ArgoServer(FrozenBaseModel):
    """The Argo Server REST API, configured like the `argo` CLI: ARGO_SERVER, ARGO_TOKEN, ARGO_NAMESPACE …"""

    url: str
    token: str | None
    namespace: str
    verify_ssl: bool = True

    @classmethod
    def from_env(cls, namespace: str | None = None) -> "ArgoServer":
        server = os.environ.get("ARGO_SERVER")
        if not server:
            raise UserInputError("set ARGO_SERVER (host:port of the Argo Server) to submit")
        if "://" not in server:
            secure = os.environ.get("ARGO_SECURE", "true").lower() != "false"
            server = f"{'https' if secure else 'http'}://{server}"
        return cls(
            url=server.rstrip("/"),
            token=os.environ.get("ARGO_TOKEN") or None,
            namespace=namespace or os.environ.get("ARGO_NAMESPACE") or DEFAULT_NAMESPACE,
            verify_ssl=os.environ.get("ARGO_INSECURE_SKIP_VERIFY", "false").lower() != "true",
        )

    def submit(self, workflow: Workflow) -> tuple[str, str]:
        """Create the workflow; returns its name and its Argo UI link."""
        workflow.namespace = self.namespace
        workflow.workflows_service = WorkflowsService(
            host=self.url, token=self.token, namespace=self.namespace, verify_ssl=self.verify_ssl
        )
        created = workflow.create()
        name = created.metadata.name
        assert name, "the Argo Server returned a workflow without a name"
        return name, f"{self.url}/workflows/{self.namespace}/{name}"
