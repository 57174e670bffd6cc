import pandas as pd

from datasets.common.storage import StoreConfig, zarr_store
from datasets.common.timestamps import utc_now
from datasets.common.validation import (
    CheckResult,
    ReplicaView,
    ValidationReport,
    ValidationTarget,
    availability,
)
from steps.context import StepContext
from steps.errors import OperationFailedError
from steps.metadata import open_published


class ValidationFailedError(OperationFailedError):
    pass


def validate(
    context: StepContext, *, now: pd.Timestamp | None = None, with_availability: bool = False
) -> ValidationReport:
    """Run the dataset's validators against the primary's `main` (read-only) and the replicas' `main`."""
    now = now if now is not None else utc_now()
    dataset = context.dataset
    config = dataset.template_config
    store = context.store
    try:
        session = context.repository().readonly_session("main")
    except FileNotFoundError:
        session = None
    ds = open_published(session.store) if session is not None else None
    if session is None or ds is None:
        nothing = CheckResult(check="Published", passed=False, message=f"nothing is published at {store.url}")
        return ValidationReport(
            dataset_id=dataset.dataset_id,
            store_url=store.url,
            validated_at=now.isoformat(),
            snapshot_id=None,
            append_dim=config.append_dim,
            append_dim_extent=0,
            first_position=None,
            last_position=None,
            passed=False,
            results=(nothing,),
        )
    target = ValidationTarget(
        ds=ds,
        store=session.store,
        append_dim=config.append_dim,
        append_dim_start=config.append_dim_start,
        append_dim_frequency=config.append_dim_frequency,
        now=now,
        no_hour_0_variables=frozenset(v.name for v in config.data_vars if not v.internal_attrs.has_hour_0_values),
        replicas=tuple(open_replica(context, replica) for replica in context.replicas),
    )
    results = tuple(result for validator in dataset.validators() for result in validator.run(target))
    positions = target.positions
    return ValidationReport(
        dataset_id=dataset.dataset_id,
        store_url=store.url,
        validated_at=now.isoformat(),
        snapshot_id=session.snapshot_id,
        append_dim=config.append_dim,
        append_dim_extent=len(positions),
        first_position=positions[0].isoformat() if len(positions) else None,
        last_position=positions[-1].isoformat() if len(positions) else None,
        passed=all(result.passed for result in results),
        results=results,
        availability=availability(target) if with_availability else None,
    )


def open_replica(context: StepContext, config: StoreConfig) -> ReplicaView:
    try:
        if config.format == "icechunk":
            store = context.repository(config).readonly_session("main").store
        else:
            store = zarr_store(config)
        ds = open_published(store)
    except (FileNotFoundError, OSError, ValueError) as e:
        return ReplicaView(url=config.url, ds=None, error=f"cannot open: {e}")
    return ReplicaView(url=config.url, ds=ds, error=None if ds is not None else "nothing published")
