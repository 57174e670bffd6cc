"""Every shell block marked ```bash runnable in docs/ runs as written, in order, in a copy of the project."""

import re
from pathlib import Path

import pytest

from tests.support.project_copy import PROJECT_ROOT, copy_project, run_in_copy

DOCS = PROJECT_ROOT / "docs"
GUIDES = ("architecture.md", "dataset_integration_guide.md", "operations.md")
RUNNABLE = re.compile(r"^```bash runnable[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def runnable_blocks(markdown: str) -> list[str]:
    return [match.group(1) for match in RUNNABLE.finditer(markdown)]


def test_runnable_blocks_are_extracted_in_order() -> None:
    markdown = "\n".join(
        [
            "text",
            "```bash runnable",
            "echo one",
            "cat <<'EOF'",
            "```not a fence end inside a heredoc line",
            "EOF",
            "```",
            "```bash",
            "argo submit x.yaml",
            "```",
            "```bash runnable",
            "echo two",
            "```",
        ]
    )
    assert runnable_blocks(markdown) == [
        "echo one\ncat <<'EOF'\n```not a fence end inside a heredoc line\nEOF\n",
        "echo two\n",
    ]


@pytest.mark.parametrize("guide", GUIDES)
def test_each_guide_has_runnable_blocks(guide: str) -> None:
    assert runnable_blocks((DOCS / guide).read_text()), f"docs/{guide} has no ```bash runnable block"


@pytest.mark.slow
@pytest.mark.parametrize("guide", GUIDES)
def test_runnable_blocks_run_as_written(guide: str, tmp_path: Path) -> None:
    copy = copy_project(tmp_path / "project")
    for block in runnable_blocks((DOCS / guide).read_text()):
        run_in_copy(copy, block, timeout=900)
