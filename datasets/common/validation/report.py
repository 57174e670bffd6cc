from datasets.common.config_models import FrozenBaseModel
from datasets.common.validation.availability import Availability
from datasets.common.validation.check import CheckResult


class ValidationReport(FrozenBaseModel):
    """The machine-readable result of `main <dataset-id> validate --json`."""

    dataset_id: str
    store_url: str
    snapshot_id: str | None
    validated_at: str
    append_dim: str
    append_dim_extent: int
    first_position: str | None
    last_position: str | None
    passed: bool
    results: tuple[CheckResult, ...]
    availability: Availability | None = None

    @property
    def failures(self) -> list[CheckResult]:
        return [result for result in self.results if not result.passed]
