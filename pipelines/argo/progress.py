"""A write pod's progress for the Argo UI: `done/total` jobs in the file Argo names in ARGO_PROGRESS_FILE (the UI
shows each pod's fraction and sums them for the workflow)."""

import os
from pathlib import Path
from typing import Self

PROGRESS_FILE_ENV = "ARGO_PROGRESS_FILE"


class ProgressFile:
    """A write's progress callback; without a path (not under Argo) it only counts."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.done = 0
        self.total = 0

    @classmethod
    def from_env(cls) -> Self:
        path = os.environ.get(PROGRESS_FILE_ENV)
        return cls(Path(path) if path else None)

    def __call__(self, kind: str, amount: float) -> None:
        if kind == "jobs_total":
            self.total = int(amount)
        elif kind == "jobs":
            self.done += int(amount)
        if kind in ("jobs_total", "jobs") and self.path is not None:
            partial = self.path.with_name(self.path.name + ".partial")
            partial.write_text(f"{self.done}/{self.total}\n")
            partial.replace(self.path)  # Argo reads the file on a timer: never half-written
