"""Run the CLI with the synthetic dataset registered, optionally dying with SIGKILL at a named point.

usage: python -m tests.support.synthetic_cli TEMPLATE_DIR SOURCE_DIR KILL_AT -- ARGS...
KILL_AT: none | plan-before-record | plan-after-record | write-after-download | write-after-job |
         join-before-publish | join-after-publish | join-after-published-record
"""

import os
import signal
import sys
from pathlib import Path
from typing import Any

import icechunk

from pipelines.cli import build_app, run
from steps.events import configure_logging
from steps.run_state import PLAN, PUBLISHED, RunState
from steps.write import JOBS_PREFIX
from tests.support.synthetic_dataset import SyntheticRegionJob, synthetic_dataset


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _die_when_writing(name_matches: Any, before: bool) -> None:
    original = RunState.write_model

    def write_and_die(self: RunState, name: str, value: Any) -> None:
        if before and name_matches(name):
            _die()
        original(self, name, value)
        if not before and name_matches(name):
            _die()

    RunState.write_model = write_and_die  # ty: ignore[invalid-assignment]


def _install_kill_point(kill_at: str) -> None:
    match kill_at:
        case "none":
            pass
        case "plan-before-record":  # the temp branch exists, the plan is not recorded
            _die_when_writing(lambda name: name == PLAN, before=True)
        case "plan-after-record":
            _die_when_writing(lambda name: name == PLAN, before=False)
        case "write-after-download":
            original_download = SyntheticRegionJob.download_file

            def download_then_die(self: SyntheticRegionJob, coord: Any) -> Any:
                original_download(self, coord)
                _die()
                raise AssertionError

            SyntheticRegionJob.download_file = download_then_die
        case "write-after-job":  # the first job's result is recorded
            _die_when_writing(lambda name: name.startswith(JOBS_PREFIX), before=False)
        case "join-before-publish" | "join-after-publish":
            original_reset = icechunk.Repository.reset_branch

            def reset_and_die(self: icechunk.Repository, *args: Any, **kwargs: Any) -> None:
                if kill_at == "join-before-publish":
                    _die()
                original_reset(self, *args, **kwargs)
                _die()

            icechunk.Repository.reset_branch = reset_and_die
        case "join-after-published-record":  # published, the temp branch and forks not yet cleaned up
            _die_when_writing(lambda name: name == PUBLISHED, before=False)
        case other:
            raise SystemExit(f"unknown kill point {other}")


if __name__ == "__main__":
    template_dir, source_dir, kill_at, separator, *args = sys.argv[1:]
    assert separator == "--"
    _install_kill_point(kill_at)
    configure_logging()
    sys.exit(run(build_app([synthetic_dataset(Path(template_dir), Path(source_dir))]), args))
