"""One structured line per thing a step did (a plan, a job, a join), for `argo logs` and log stacks."""

import json
import logging
import sys
from typing import Any

from datasets.common.results import VariableResult, to_json_value

logger = logging.getLogger("reformatters")


def log_event(event: str, **fields: Any) -> None:
    logger.info(event, extra={"fields": {k: to_json_value(v) for k, v in fields.items()}})


def result_counts(variables: dict[str, VariableResult]) -> dict[str, int]:
    results = variables.values()
    return {
        "variables": len(variables),
        "source_files_ok": sum(r.succeeded for r in results),
        "not_found": sum(len(r.not_found) for r in results),
        "read_failed": sum(len(r.read_failed) for r in results),
    }


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        return json.dumps(line, default=str)


def configure_logging(json_lines: bool | None = None) -> None:
    """JSON lines on stderr when it is not a terminal (a pod, a pipe); on a terminal only warnings, as text
    (progress bars show the rest)."""
    json_lines = not sys.stderr.isatty() if json_lines is None else json_lines
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logger.setLevel(logging.INFO if json_lines else logging.WARNING)
