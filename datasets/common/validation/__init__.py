"""Dataset validators: pure checks on what readers see (an xarray Dataset plus its store)."""

from datasets.common.validation.availability import Availability, availability
from datasets.common.validation.check import CheckResult, ReplicaView, ValidationTarget, Validator
from datasets.common.validation.freshness import CheckCurrentData
from datasets.common.validation.nans import CheckHoles, CheckRecentNans
from datasets.common.validation.replicas import CheckReplicaMatchesPrimary
from datasets.common.validation.report import ValidationReport
from datasets.common.validation.sampling import SpatialSample
from datasets.common.validation.shards import CheckExpectedShards


def default_validators() -> tuple[Validator, ...]:
    return (CheckRecentNans(), CheckExpectedShards(), CheckReplicaMatchesPrimary())


__all__ = [
    "Availability",
    "CheckCurrentData",
    "CheckExpectedShards",
    "CheckHoles",
    "CheckRecentNans",
    "CheckReplicaMatchesPrimary",
    "CheckResult",
    "ReplicaView",
    "SpatialSample",
    "ValidationReport",
    "ValidationTarget",
    "Validator",
    "availability",
    "default_validators",
]
