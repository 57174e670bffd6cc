from collections.abc import Callable, Iterable, Mapping

import icechunk
import xarray as xr
from zarr.abc.store import ByteRequest, Store
from zarr.core.buffer import Buffer, BufferPrototype
from zarr.storage import WrapperStore

from datasets.common.config_models import FrozenBaseModel
from datasets.common.storage import StoreConfig, zarr_store
from steps.errors import ConcurrentPublishError
from steps.metadata import write_metadata

PRIMARY = "primary"


class ReplicaPlan(FrozenBaseModel):
    """A replica's part of a run: Icechunk replicas get a temp branch like the primary; plain Zarr ones don't."""

    name: str
    config: StoreConfig
    base_snapshot: str | None = None
    plan_snapshot: str | None = None


class MetadataOverlayStore(WrapperStore[Store]):
    """Reads metadata from a rendered template, writes chunks to the wrapped store.

    Lets workers write whole shards into a plain Zarr replica before join exposes them with metadata.
    """

    def __init__(self, store: Store, metadata: Mapping[str, Buffer]) -> None:
        super().__init__(store)
        self._metadata = dict(metadata)

    async def get(self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None) -> Buffer | None:
        if key in self._metadata:
            assert byte_range is None, f"partial read of metadata {key}"
            return self._metadata[key]
        return await self._store.get(key, prototype, byte_range)

    async def exists(self, key: str) -> bool:
        return key in self._metadata or await self._store.exists(key)

    async def set(self, key: str, value: Buffer) -> None:
        assert key not in self._metadata, f"workers never write metadata ({key})"
        await self._store.set(key, value)


def prepare_icechunk(
    repo: icechunk.Repository, branch: str, template_ds: xr.Dataset, message: str, base_snapshot: str | None = None
) -> tuple[str, str]:
    """Create `branch` from main (or `base_snapshot`) with the expanded metadata; return both snapshots."""
    base_snapshot = base_snapshot or repo.lookup_branch("main")
    if branch in repo.list_branches():
        repo.delete_branch(branch)  # left by a plan that crashed before recording itself
    repo.create_branch(branch, base_snapshot)
    session = repo.writable_session(branch)
    write_metadata(template_ds, session.store)
    return base_snapshot, session.commit(message, metadata={"stage": "plan"})


def publish_icechunk(
    repo: icechunk.Repository,
    *,
    branch: str,
    base_snapshot: str,
    plan_snapshot: str,
    forks: Callable[[], Iterable[list[icechunk.ForkSession]]],
    final: xr.Dataset,
    message: str,
) -> str:
    """Merge the forks (batch by batch) into one commit on `branch` holding the final metadata, then move main there.

    Moving main is a compare-and-swap against the snapshot the plan started from. Re-runnable.
    """
    tip = repo.lookup_branch(branch)
    if tip == plan_snapshot:
        session = repo.writable_session(branch)
        for batch in forks():
            session.merge(*batch)
        write_metadata(final, session.store)
        joined = session.commit(message, metadata={"stage": "joined"})
    else:
        joined = tip
        info = next(iter(repo.ancestry(snapshot_id=joined)))
        assert info.metadata.get("stage") == "joined", f"{branch} moved unexpectedly"
    current = repo.lookup_branch("main")
    if current == base_snapshot:
        repo.reset_branch("main", joined, from_snapshot_id=base_snapshot)
    elif current != joined:
        raise ConcurrentPublishError(
            f"main moved since {branch} was planned (another run published first); "
            "nothing was published: plan and run this operation again"
        )
    return joined


def replica_store(plan: ReplicaPlan) -> Store:
    return zarr_store(plan.config)
