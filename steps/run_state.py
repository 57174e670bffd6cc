from collections.abc import Iterator
from typing import Literal

import obstore
from pydantic import BaseModel

from datasets.common.config_models import FrozenBaseModel
from datasets.common.errors import UserInputError
from datasets.common.storage import StoreConfig, object_store
from steps.targets import ReplicaPlan

type Operation = Literal["backfill", "update"]


class Filters(FrozenBaseModel):
    start: str | None = None
    end: str | None = None
    contains: tuple[str, ...] = ()
    variable_names: tuple[str, ...] = ()


class PlanRecord(FrozenBaseModel):
    run_id: str
    operation: Operation
    dataset_id: str
    template_end: str
    filters: Filters
    source_url: str
    workers_total: int
    job_keys: tuple[str, ...]
    temp_branch: str
    base_snapshot: str
    plan_snapshot: str
    published_extent: int
    replicas: tuple[ReplicaPlan, ...] = ()
    variable_parts: int = 1  # each shard's variables split this many ways (fewer shards than workers)

    @property
    def worker_indices(self) -> list[int]:
        return list(range(self.workers_total))


class RunState:
    """The durable record of one run, kept beside the primary store at `<store>.runs/<run_id>/`.

    Only plan and join commit to the repository; workers leave their forked sessions and results here.
    """

    def __init__(self, store_config: StoreConfig, run_id: str) -> None:
        if not run_id or not all(c.isalnum() or c in "-_." for c in run_id):
            raise UserInputError(f"run id {run_id!r} must be non-empty and use only letters, digits, '.', '_', '-'")
        self.run_id = run_id
        self._store = object_store(store_config.sibling_url(f".runs/{run_id}"))

    def exists(self, name: str) -> bool:
        try:
            obstore.head(self._store, name)
        except FileNotFoundError:
            return False
        return True

    def read_bytes(self, name: str) -> bytes:
        return bytes(obstore.get(self._store, name).bytes())

    def write_bytes(self, name: str, data: bytes) -> None:
        obstore.put(self._store, name, data)

    def read_model[M: BaseModel](self, name: str, model: type[M]) -> M:
        return model.model_validate_json(self.read_bytes(name))

    def write_model(self, name: str, value: BaseModel) -> None:
        self.write_bytes(name, value.model_dump_json(indent=2).encode())

    def names(self, prefix: str) -> Iterator[str]:
        for batch in obstore.list(self._store, prefix=prefix):
            for meta in batch:
                yield meta["path"]

    def delete(self, names: list[str]) -> None:
        if names:
            obstore.delete(self._store, names)
