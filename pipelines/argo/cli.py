from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.argo.backfill import BACKFILL_WRITE_DEADLINE_SECONDS, ArgoServer, BackfillRequest, backfill_workflow
from pipelines.argo.render import write_manifests
from pipelines.argo.settings import STORAGE_SECRET, ArgoSettings
from pipelines.cli_support import SourceUrlOption, StoreOption, check_window, parse_timestamp

console = Console(stderr=True)


def add_argo_commands(app: typer.Typer, datasets: Sequence[DynamicalDataset[Any, Any]]) -> None:
    @app.command("render-argo")
    def render_argo(
        out: Annotated[Path, typer.Option("--out", help="Folder for the manifests (checked in as argo/).")] = Path(
            "argo"
        ),
        storage_secret: Annotated[
            str, typer.Option("--storage-secret", help="Kubernetes secret holding the store credentials.")
        ] = STORAGE_SECRET,
    ) -> None:
        """Write every dataset's Argo manifests (WorkflowTemplate, update and validate CronWorkflows) and
        kustomization.yaml to OUT, deleting manifests that are no longer generated."""
        written, stale = write_manifests(datasets, out, ArgoSettings(storage_secret=storage_secret))
        console.print(f"wrote {len(written)} files to {out}" + (f", deleted {len(stale)} stale" if stale else ""))


def add_dataset_argo_commands(app: typer.Typer, dataset: DynamicalDataset[Any, Any]) -> None:
    @app.command("backfill-argo")
    def backfill_argo(
        append_dim_end: Annotated[str, typer.Argument(help="Exclusive end of the append dimension, ISO 8601.")],
        filter_start: Annotated[str | None, typer.Option(help="Keep shards overlapping [start, end).")] = None,
        filter_end: Annotated[str | None, typer.Option(help="See --filter-start.")] = None,
        filter_contains: Annotated[
            list[str] | None, typer.Option(help="Keep only shards holding this value (repeatable).")
        ] = None,
        filter_variable_names: Annotated[
            list[str] | None, typer.Option(help="Process only this variable (repeatable).")
        ] = None,
        workers: Annotated[int | None, typer.Option(help="Write pods (fan-out width).")] = None,
        parallelism: Annotated[int | None, typer.Option(help="Pods running at once (default: workers).")] = None,
        image: Annotated[str | None, typer.Option(help="Run every pod with this image instead.")] = None,
        overwrite_chunks: Annotated[bool, typer.Option(help="Allow rewriting published shards.")] = False,
        overwrite_metadata: Annotated[bool, typer.Option(help="Allow replacing published metadata.")] = False,
        run_id: Annotated[str | None, typer.Option(help="Run id (default: the workflow name).")] = None,
        write_deadline_seconds: Annotated[
            int, typer.Option(help="Deadline of each write pod attempt.")
        ] = BACKFILL_WRITE_DEADLINE_SECONDS,
        store: StoreOption = None,
        source_url: SourceUrlOption = None,
        submit: Annotated[bool, typer.Option(help="Submit to the Argo Server (ARGO_SERVER, ARGO_TOKEN).")] = False,
        namespace: Annotated[str | None, typer.Option(help="Namespace (default: ARGO_NAMESPACE or argo).")] = None,
    ) -> None:
        """Print a backfill Workflow for `argo submit -`, or submit it with --submit."""
        start = parse_timestamp(filter_start) if filter_start else None
        end = parse_timestamp(filter_end) if filter_end else None
        check_window(start, end)
        request = BackfillRequest(
            append_dim_end=parse_timestamp(append_dim_end),
            filter_start=start,
            filter_end=end,
            filter_contains=tuple(parse_timestamp(v) for v in filter_contains or ()),
            filter_variable_names=tuple(filter_variable_names or ()),
            workers=workers,
            parallelism=parallelism,
            image=image,
            overwrite_chunks=overwrite_chunks,
            overwrite_metadata=overwrite_metadata,
            run_id=run_id,
            store_url=store,
            source_url=source_url,
            write_deadline_seconds=write_deadline_seconds,
        )
        workflow = backfill_workflow(dataset, request)
        if not submit:
            print(yaml.safe_dump(workflow.to_dict(), sort_keys=False), end="")
            return
        name, link = ArgoServer.from_env(namespace).submit(workflow)
        print(name)
        print(link)
