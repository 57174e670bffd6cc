"""Prometheus metrics the workflow emits through Argo's `metrics` field (Argo prefixes `argo_workflows_`), each
labelled with the dataset and the operation so a dashboard follows one dataset's updates and backfills."""

from typing import Any

from hera.workflows import models as m

from datasets.common.dynamical_dataset import DynamicalDataset

OPERATION = "{{workflow.parameters.operation}}"
SUCCEEDED = "{{status}} == Succeeded"


def own_output(name: str) -> str:
    return "{{outputs.parameters." + name + "}}"


def _gauge(
    dataset: DynamicalDataset[Any, Any],
    name: str,
    description: str,
    value: str,
    when: str | None = None,
    **labels: str,
) -> m.Prometheus:
    return m.Prometheus(
        name=name,
        help=description,
        labels=[
            m.MetricLabel(key=key, value=value)
            for key, value in {"dataset": dataset.dataset_id, "operation": OPERATION, **labels}.items()
        ],
        gauge=m.Gauge(value=value, realtime=False),
        when=when,
    )


def run_metrics(dataset: DynamicalDataset[Any, Any]) -> m.Metrics:
    """On the pipeline (plan → write → join): how long the run took, and how it ended."""
    duration = _gauge(
        dataset,
        "reformatters_run_duration_seconds",
        "Seconds from plan to the end of join of the latest run",
        "{{duration}}",
        status="{{status}}",
    )
    return m.Metrics(prometheus=[duration])


def join_metrics(dataset: DynamicalDataset[Any, Any]) -> m.Metrics:
    """On join, from its outputs: what the run read and wrote."""
    failed = _gauge(
        dataset,
        "reformatters_source_files_failed",
        "Source files (per variable) missing or unreadable in the latest run",
        own_output("source-files-failed"),
        when=SUCCEEDED,
    )
    written = _gauge(
        dataset,
        "reformatters_bytes_written",
        "Bytes (uncompressed) the latest run wrote",
        own_output("bytes-written"),
        when=SUCCEEDED,
    )
    return m.Metrics(prometheus=[failed, written])


def outcome_metrics(dataset: DynamicalDataset[Any, Any], pipeline: str) -> m.Metrics:
    """On the exit handler, after every run of the pipeline (not after a validation): published or not."""
    published = _gauge(
        dataset,
        "reformatters_run_published",
        "1 if the latest run published, 0 if it found nothing new or failed",
        own_output("published"),
        when="{{workflow.mainEntrypoint}} == " + pipeline,
    )
    return m.Metrics(prometheus=[published])
