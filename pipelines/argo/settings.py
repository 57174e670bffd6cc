from datasets.common.config_models import FrozenBaseModel

IMAGE_NAME = "ghcr.io/reformatters/reformatters"
IMAGE_TAG = "latest"
STORAGE_SECRET = "reformatters-storage"

DATASET_LABEL = "reformatters/dataset"
OPERATION_LABEL = "reformatters/operation"

OUTPUTS_DIR = "/tmp/outputs"
PLAN_OUTPUT = f"{OUTPUTS_DIR}/plan.json"
WORKER_INDICES_OUTPUT = f"{OUTPUTS_DIR}/worker_indices.json"
WRITE_OUTPUT = f"{OUTPUTS_DIR}/write.json"
JOIN_OUTPUT = f"{OUTPUTS_DIR}/join.json"
VALIDATE_OUTPUT = f"{OUTPUTS_DIR}/validate.json"


class ArgoSettings(FrozenBaseModel):
    """Deployment choices that are not a dataset's: where the image lives and which secret holds credentials."""

    image_name: str = IMAGE_NAME
    image_tag: str = IMAGE_TAG
    storage_secret: str = STORAGE_SECRET


WRITE_DEADLINE_PARAMETER = "write-deadline-seconds"
