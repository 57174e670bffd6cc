from pathlib import Path

import pytest

from pipelines.argo.progress import ProgressFile


def test_the_progress_file_holds_jobs_done_over_this_workers_share(tmp_path: Path) -> None:
    path = tmp_path / "progress"
    progress = ProgressFile(path)
    seen = []
    for kind, amount in [("jobs_total", 3), ("source_files", 4), ("jobs", 1), ("bytes_written", 9e6), ("jobs", 1)]:
        progress(kind, amount)
        seen.append(path.read_text())
    assert seen == ["0/3\n", "0/3\n", "1/3\n", "1/3\n", "2/3\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress"]


def test_without_argo_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGO_PROGRESS_FILE", raising=False)
    progress = ProgressFile.from_env()
    progress("jobs_total", 2)
    progress("jobs", 1)
    assert progress.path is None
    assert (progress.done, progress.total) == (1, 2)
    monkeypatch.setenv("ARGO_PROGRESS_FILE", str(tmp_path / "p"))
    assert ProgressFile.from_env().path == tmp_path / "p"
