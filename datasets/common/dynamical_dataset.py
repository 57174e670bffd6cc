from collections.abc import Sequence
from typing import Annotated, Any

import pandas as pd
from pydantic import Field, SkipValidation, computed_field, model_validator

from datasets.common.config_models import DataVar, FrozenBaseModel
from datasets.common.dataset_card import card_table
from datasets.common.region_job import RegionJob, SourceFileCoord
from datasets.common.storage import StoreConfig, default_store_url, parse_store_config, split_manifests
from datasets.common.template_config import TemplateConfig
from datasets.common.timestamps import timedelta
from datasets.common.validation import (
    CheckCurrentData,
    CheckExpectedShards,
    CheckHoles,
    CheckRecentNans,
    CheckReplicaMatchesPrimary,
    Validator,
    default_validators,
)
from datasets.common.virtual.config import VirtualConfig


class OperationalConfig(FrozenBaseModel):
    """How the dataset runs in production: schedules, parallelism and the resources of one pod."""

    update_schedule: str
    validate_schedule: str
    timezone: str = "UTC"
    update_workers: int = 1
    cpu: str
    memory: str
    shared_memory: str | None = None
    ephemeral_storage: str
    update_deadline_seconds: int
    backfill_jobs_per_worker: int = 1


def operational_config(template_config: TemplateConfig[Any]) -> OperationalConfig:
    return OperationalConfig(**card_table(type(template_config), "operational"))


def scheduled_validators(
    max_delay: pd.Timedelta,
    *,
    nan_window: int = 2,
    max_nan_fraction: float = 0.001,
    hole_variables: tuple[str, ...] | None = None,
) -> tuple[Validator, ...]:
    """The checks of a dataset updated on a schedule: the append-dim value due `max_delay` ago is published, the
    newest `nan_window` values hold few NaN, every expected shard is stored, replicas match the primary, and, with
    `hole_variables` (empty: every variable), no position of those variables is missing data."""
    holes = () if hole_variables is None else (CheckHoles(variables=hole_variables),)
    return (
        CheckCurrentData(max_delay=max_delay),
        CheckRecentNans(window=nan_window, max_nan_fraction=max_nan_fraction),
        CheckExpectedShards(),
        *holes,
        CheckReplicaMatchesPrimary(),
    )


class DynamicalDataset[DV: DataVar[Any], SFC: SourceFileCoord](FrozenBaseModel):
    # Generic parameters are unresolved at runtime, so pydantic's own check would reject subclasses.
    template_config: Annotated[TemplateConfig[DV], SkipValidation]
    region_job_class: Annotated[type[RegionJob[DV, SFC]], SkipValidation]
    operational: OperationalConfig = Field(default_factory=lambda parts: operational_config(parts["template_config"]))
    source_base_url: str = Field(default_factory=lambda parts: parts["region_job_class"].default_source_url)
    # Whether the cluster runs it: `main render-argo` writes manifests only for deployable datasets.
    deployable: bool = True
    primary_store_url: str | None = None
    replica_store_urls: tuple[str, ...] = ()
    validation: tuple[Validator, ...] = default_validators()
    # Set for a virtual dataset: its chunks are references into the source archive, decoded when read.
    virtual: VirtualConfig | None = None
    # Manifests split along the append dim every this span of it (a virtual dataset sets its own split).
    manifest_split_span: pd.Timedelta = timedelta("365D")

    @model_validator(mode="after")
    def _check_parts(self) -> "DynamicalDataset[DV, SFC]":
        assert isinstance(self.template_config, TemplateConfig), "template_config must be a TemplateConfig"
        assert issubclass(self.region_job_class, RegionJob), "region_job_class must be a RegionJob subclass"
        return self

    @computed_field
    @property
    def dataset_id(self) -> str:
        return self.template_config.dataset_id

    @property
    def description(self) -> str:
        return self.template_config.dataset_attributes.description

    def primary_store(self, url: str | None = None) -> StoreConfig:
        attrs = self.template_config.dataset_attributes
        return parse_store_config(
            url or self.primary_store_url or default_store_url(attrs.dataset_id, attrs.dataset_version)
        )

    def replica_stores(self, urls: Sequence[str] = ()) -> list[StoreConfig]:
        return [parse_store_config(u) for u in urls or self.replica_store_urls]

    def validators(self) -> Sequence[Validator]:
        return self.validation

    def source_url(self, url: str | None = None) -> str:
        return (url or self.source_base_url).rstrip("/")

    @property
    def manifest_split_size(self) -> int:
        """Stored chunks (shards) along the append dim per manifest split: `manifest_split_span` of shards."""
        config = self.template_config
        lengths = {(v.encoding.shards or v.encoding.chunks)[0] for v in config.data_vars}
        assert len(lengths) == 1, f"the variables disagree on their shard length along {config.append_dim}"
        return max(1, round(self.manifest_split_span / (config.append_dim_frequency * lengths.pop())))

    def repository_options(self, source_url: str) -> dict[str, Any]:
        """How to open the dataset's Icechunk repositories: manifest splitting, and a virtual dataset's chunk
        containers."""
        append_dim = self.template_config.append_dim
        if self.virtual is not None:
            return self.virtual.repository_options(source_url, append_dim)
        return {"repository_config": split_manifests(append_dim, self.manifest_split_size)}
