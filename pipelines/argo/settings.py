from enum import StrEnum

from datasets.common.config_models import FrozenBaseModel

IMAGE_NAME = "ghcr.io/reformatters/reformatters"
IMAGE_TAG = "latest"
STORAGE_SECRET = "reformatters-storage"

DATASET_LABEL = "reformatters/dataset"
OPERATION_LABEL = "reformatters/operation"

OUTPUTS_DIR = "/tmp/outputs"
PLAN_OUTPUT = f"{OUTPUTS_DIR}/plan.json"
WORKER_INDICES_OUTPUT = f"{OUTPUTS_DIR}/worker_indices.json"


class ArgoSettings(FrozenBaseModel):
    """Deployment choices that are not a dataset's: where the image lives and which secret holds credentials."""

    image_name: str = IMAGE_NAME
    image_tag: str = IMAGE_TAG
    storage_secret: str = STORAGE_SECRET


class Param(StrEnum):
    """Workflow parameters of every dataset's WorkflowTemplate (`argo submit -p NAME=VALUE`)."""

    operation = "operation"
    append_dim_end = "append-dim-end"
    filter_start = "filter-start"
    filter_end = "filter-end"
    filter_contains = "filter-contains"
    filter_variable_names = "filter-variable-names"
    workers = "workers"
    overwrite_chunks = "overwrite-chunks"
    overwrite_metadata = "overwrite-metadata"
    run_id = "run-id"
    write_deadline_seconds = "write-deadline-seconds"
    store_url = "store-url"
    replica_urls = "replica-urls"
    source_url = "source-url"
