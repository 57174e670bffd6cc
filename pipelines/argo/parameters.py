"""Workflow parameters derived from RunRequest: one per field (named like the field, kebab-case), passed to the
step containers as the field's REFORMAT_* environment variable."""

from typing import Any

import pandas as pd
from hera.workflows import Container, Parameter, WorkflowTemplate

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.argo.settings import WRITE_DEADLINE_PARAMETER
from steps.run_request import OPERATIONS, RunRequest, argo_name


def argo_value(value: Any) -> str:
    match value:
        case None:
            return ""
        case bool():
            return "true" if value else "false"
        case pd.Timestamp():
            return value.isoformat()
        case tuple() | list():
            return " ".join(argo_value(v) for v in value)
        case _:
            return str(value)


def dataset_defaults(dataset: DynamicalDataset[Any, Any]) -> dict[str, Any]:
    """Where a dataset's runs differ from RunRequest's own defaults."""
    return {
        "workers": dataset.operational.update_workers,
        "run_id": "{{workflow.name}}",
        "store_url": dataset.primary_store_url,
        "replica_urls": dataset.replica_store_urls,
        "source_url": dataset.source_base_url,
    }


def workflow_parameters(dataset: DynamicalDataset[Any, Any]) -> list[Parameter]:
    defaults = {name: field.default for name, field in RunRequest.model_fields.items()} | dataset_defaults(dataset)
    parameters = []
    for name, field in RunRequest.model_fields.items():
        enum = (
            [str(o) for o in OPERATIONS]
            if name == "operation"
            else ["false", "true"]
            if field.annotation is bool
            else None
        )
        parameters.append(
            Parameter(name=argo_name(name), value=argo_value(defaults[name]), description=field.description, enum=enum)
        )
    parameters.append(
        Parameter(
            name=WRITE_DEADLINE_PARAMETER,
            value=str(dataset.operational.update_deadline_seconds),
            description="activeDeadlineSeconds of each write pod attempt",
        )
    )
    return parameters


def request_arguments(request: RunRequest) -> list[Parameter]:
    """The workflow arguments that submit `request`: its operation and what differs from RunRequest's defaults
    (the rest keeps the template's defaults)."""
    given = ["operation", *request.model_dump(exclude_defaults=True, exclude={"operation"})]
    return [Parameter(name=argo_name(name), value=argo_value(getattr(request, name))) for name in given]


def task_arguments(workflow: WorkflowTemplate, template: Container, **values: str) -> list[Parameter]:
    """A task's arguments for `template`: `values` by name, else the workflow parameter its input is named after."""
    inputs = template.inputs if isinstance(template.inputs, list) else []
    names = [p.name for p in inputs if isinstance(p, Parameter) and p.name is not None]
    return [Parameter(name=n, value=values[n]) if n in values else workflow.get_parameter(n) for n in names]
