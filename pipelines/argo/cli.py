from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError
from pipelines.argo.backfill import BACKFILL_WRITE_DEADLINE_SECONDS, ArgoRunOptions, ArgoServer, backfill_workflow
from pipelines.argo.render import write_manifests
from pipelines.argo.settings import IMAGE_ENV, STORAGE_SECRET, ArgoSettings, default_image, pinned_image
from pipelines.request_cli import request_command
from steps.run_request import RunRequest

console = Console(stderr=True)


def add_argo_commands(app: typer.Typer, datasets: Sequence[DynamicalDataset[Any, Any]]) -> None:
    @app.command("render-argo")
    def render_argo(
        out: Annotated[Path, typer.Option("--out", help="Folder for the manifests (checked in as argo/).")] = Path(
            "argo"
        ),
        image: Annotated[
            str | None,
            typer.Option(
                "--image",
                envvar=IMAGE_ENV,
                help="Image every pod runs, with a tag or digest (default: the project's version).",
                show_default=False,
            ),
        ] = None,
        storage_secret: Annotated[
            str, typer.Option("--storage-secret", help="Kubernetes secret holding the store credentials.")
        ] = STORAGE_SECRET,
    ) -> None:
        """Write every dataset's Argo manifests (WorkflowTemplate, update and validate CronWorkflows) and
        kustomization.yaml to OUT, deleting manifests that are no longer generated."""
        settings = ArgoSettings(image=image_option(image or default_image()), storage_secret=storage_secret)
        written, stale = write_manifests(datasets, out, settings)
        console.print(
            f"wrote {len(written)} files to {out} (image {settings.image})"
            + (f", deleted {len(stale)} stale" if stale else "")
        )


def image_option(reference: str) -> str:
    try:
        return pinned_image(reference)
    except ValueError as e:
        raise UserInputError(f"--image: {e}") from None


def add_dataset_argo_commands(app: typer.Typer, dataset: DynamicalDataset[Any, Any]) -> None:
    def backfill_argo(
        request: RunRequest,
        parallelism: Annotated[int | None, typer.Option(help="Pods running at once (default: workers).")] = None,
        image: Annotated[
            str | None, typer.Option(help="Run every pod with this image instead (with a tag or digest).")
        ] = None,
        write_deadline_seconds: Annotated[
            int, typer.Option(help="Deadline of each write pod attempt.")
        ] = BACKFILL_WRITE_DEADLINE_SECONDS,
        submit: Annotated[bool, typer.Option(help="Submit to the Argo Server (ARGO_SERVER, ARGO_TOKEN).")] = False,
        namespace: Annotated[str | None, typer.Option(help="Namespace (default: ARGO_NAMESPACE or argo).")] = None,
    ) -> None:
        """Print a backfill Workflow for `argo submit -`, or submit it with --submit."""
        options = ArgoRunOptions(
            parallelism=parallelism,
            image=image_option(image) if image else None,
            write_deadline_seconds=write_deadline_seconds,
        )
        workflow = backfill_workflow(dataset, request, options)
        if not submit:
            print(yaml.safe_dump(workflow.to_dict(), sort_keys=False), end="")
            return
        name, link = ArgoServer.from_env(namespace).submit(workflow)
        print(name)
        print(link)

    request_command(
        app,
        "backfill-argo",
        backfill_argo,
        operation="backfill",
        defaults={"workers": dataset.operational.update_workers},
    )
