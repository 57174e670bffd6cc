import json
import os
from typing import Any

from hera.workflows import Parameter, Workflow, WorkflowsService
from hera.workflows import models as m

from datasets.common.config_models import FrozenBaseModel
from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError
from pipelines.argo.parameters import request_arguments
from pipelines.argo.render import labels
from pipelines.argo.settings import WRITE_DEADLINE_PARAMETER, ImageReference
from steps.run_request import RunRequest

BACKFILL_WRITE_DEADLINE_SECONDS = 12 * 3600
DEFAULT_NAMESPACE = "argo"


class ArgoRunOptions(FrozenBaseModel):
    """How a backfill runs on the cluster, beside what it does (its RunRequest)."""

    parallelism: int | None = None
    image: ImageReference | None = None
    write_deadline_seconds: int = BACKFILL_WRITE_DEADLINE_SECONDS


DEFAULT_OPTIONS = ArgoRunOptions()


def backfill_workflow(
    dataset: DynamicalDataset[Any, Any], request: RunRequest, options: ArgoRunOptions = DEFAULT_OPTIONS
) -> Workflow:
    """A Workflow that runs the dataset's WorkflowTemplate as a backfill, for `argo submit -`."""
    config = dataset.template_config
    request.check(config.append_dim_start, {v.name for v in config.data_vars})
    if options.parallelism is not None and options.parallelism < 1:
        raise UserInputError(f"--parallelism must be at least 1, got {options.parallelism}")
    if options.write_deadline_seconds < 1:
        raise UserInputError("--write-deadline-seconds must be positive")
    pod_spec_patch = None
    if options.image:
        pod_spec_patch = json.dumps({"containers": [{"name": "main", "image": options.image}]})
    return Workflow(
        generate_name=f"{dataset.dataset_id}-backfill-",
        labels=labels(dataset, "backfill"),
        workflow_template_ref=m.WorkflowTemplateRef(name=dataset.dataset_id),
        arguments=[
            *request_arguments(request),
            Parameter(name=WRITE_DEADLINE_PARAMETER, value=str(options.write_deadline_seconds)),
        ],
        parallelism=options.parallelism if options.parallelism is not None else request.workers,
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
