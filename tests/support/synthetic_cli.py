"""Run the CLI with the synthetic dataset registered, optionally dying with SIGKILL at a named point.

usage: python -m tests.support.synthetic_cli TEMPLATE_DIR SOURCE_DIR KILL_AT -- ARGS...
KILL_AT: none | write-after-download | write-after-job | join-before-publish | join-after-publish
"""

import os
import signal
import sys
from pathlib import Path
from typing import Any

import icechunk

from pipelines.cli import build_app, run
from steps import write as write_module
from steps.context import StepContext
from steps.write import WriteSummary
from tests.support.synthetic_dataset import SyntheticRegionJob, synthetic_dataset


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _install_kill_point(kill_at: str) -> None:
    match kill_at:
        case "none":
            pass
        case "write-after-download":
            original_download = SyntheticRegionJob.download_file

            def download_then_die(self: SyntheticRegionJob, coord: Any) -> Any:
                original_download(self, coord)
                _die()
                raise AssertionError

            SyntheticRegionJob.download_file = download_then_die
        case "write-after-job":
            original_write = write_module.write

            def write_then_die_after_first_job(
                context: StepContext, *, run_id: str, worker_index: int, workers_total: int, **kwargs: Any
            ) -> WriteSummary:
                return original_write(
                    context,
                    run_id=run_id,
                    worker_index=worker_index,
                    workers_total=workers_total,
                    after_job=lambda key: _die(),
                )

            write_module.write = write_then_die_after_first_job  # ty: ignore[invalid-assignment]
            import pipelines.step_cli

            pipelines.step_cli.write = write_then_die_after_first_job  # ty: ignore[invalid-assignment]
        case "join-before-publish" | "join-after-publish":
            original_reset = icechunk.Repository.reset_branch

            def reset_and_die(self: icechunk.Repository, *args: Any, **kwargs: Any) -> None:
                if kill_at == "join-before-publish":
                    _die()
                original_reset(self, *args, **kwargs)
                _die()

            icechunk.Repository.reset_branch = reset_and_die
        case other:
            raise SystemExit(f"unknown kill point {other}")


if __name__ == "__main__":
    template_dir, source_dir, kill_at, separator, *args = sys.argv[1:]
    assert separator == "--"
    _install_kill_point(kill_at)
    sys.exit(run(build_app([synthetic_dataset(Path(template_dir), Path(source_dir))]), args))
