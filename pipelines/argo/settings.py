import re
from importlib.metadata import version
from typing import Annotated

from pydantic import AfterValidator, Field

from datasets.common.config_models import FrozenBaseModel

IMAGE_REPOSITORY = "ghcr.io/reformatters/reformatters"
IMAGE_ENV = "REFORMAT_IMAGE"
STORAGE_SECRET = "reformatters-storage"

DATASET_LABEL = "reformatters/dataset"
OPERATION_LABEL = "reformatters/operation"

OUTPUTS_DIR = "/tmp/outputs"
PLAN_OUTPUT = f"{OUTPUTS_DIR}/plan.json"
WORKERS_OUTPUT = f"{OUTPUTS_DIR}/workers"
WRITE_OUTPUT = f"{OUTPUTS_DIR}/write.json"
JOIN_OUTPUT = f"{OUTPUTS_DIR}/join.json"
VALIDATE_OUTPUT = f"{OUTPUTS_DIR}/validate.json"
JOIN_VALUES = f"{OUTPUTS_DIR}/join"
OUTCOME_VALUES = f"{OUTPUTS_DIR}/outcome"

# repository[:tag][@sha256:digest]; the tag is what follows the last ':' after the last '/'
_IMAGE = re.compile(r"^(?P<repository>[^@\s]+?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


def pinned_image(reference: str) -> str:
    match = _IMAGE.match(reference)
    if match is None:
        raise ValueError(f"{reference!r} is not an image reference (repository[:tag][@sha256:digest])")
    if match["tag"] is None and match["digest"] is None:
        raise ValueError(f"image {reference!r} needs a tag or a digest (e.g. {reference}:{version('reformatters')})")
    return reference


type ImageReference = Annotated[str, AfterValidator(pinned_image)]


def default_image() -> str:
    """The image of this code: the repository tagged with the project's version."""
    return f"{IMAGE_REPOSITORY}:{version('reformatters')}"


def image_parts(reference: str) -> dict[str, str]:
    """The reference as kustomize's `images:` entry names it: name, and newTag or digest."""
    match = _IMAGE.match(pinned_image(reference))
    assert match is not None, "a pinned reference parses"
    pin = {"digest": match["digest"]} if match["digest"] else {"newTag": match["tag"]}
    return {"name": match["repository"], **pin}


class ArgoSettings(FrozenBaseModel):
    """Deployment choices that are not a dataset's: which image every pod runs and which secret holds credentials."""

    image: ImageReference = Field(default_factory=default_image)
    storage_secret: str = STORAGE_SECRET


WRITE_DEADLINE_PARAMETER = "write-deadline-seconds"
