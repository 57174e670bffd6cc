"""A throwaway copy of the project (its git-tracked and untracked-but-not-ignored files) that runs on the
current environment: `uv run` there uses this .venv without syncing, and PYTHONPATH puts the copy first."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).parents[2]


def copy_project(dest: Path) -> Path:
    if shutil.which("uv") is None:
        pytest.skip("uv is not on PATH: commands in the copy run with `uv run` (.ci/run installs uv)")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = PROJECT_ROOT / relative
        if source.is_file():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / relative)
    return dest


def copy_environment(copy: Path) -> dict[str, str]:
    venv = Path(sys.prefix)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return {
        **inherited,
        "PYTHONPATH": str(copy),
        "VIRTUAL_ENV": str(venv),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_NO_SYNC": "1",
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "200",
    }


def run_in_copy(copy: Path, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a shell command in the copy; it fails with its output on a non-zero exit."""
    completed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=copy,
        env=copy_environment(copy),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, (
        f"`{command}` exited {completed.returncode}\n--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"
    )
    return completed
