import json
from pathlib import Path

import pytest

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.local import run_local
from steps.context import StepContext
from steps.outcome import first_failure, run_outcome
from steps.run_request import RunRequest
from tests.support.runs import INITS
from tests.support.synthetic_dataset import FREQUENCY, write_source_archive


def test_a_run_that_published_then_one_that_found_nothing_new(synthetic: DynamicalDataset, store_url: str) -> None:
    write_source_archive(Path(synthetic.source_base_url), INITS[:2])
    context = StepContext.create(synthetic, store_url)
    request = RunRequest(append_dim_end=INITS[1] + FREQUENCY, run_id="b1")
    run_local(context, request, show_progress=False)
    published = run_outcome(context, run_id="b1", status="Succeeded")
    assert published.published
    assert str(published).startswith("published: backfill b1: 2 init_time values published, ")
    run_local(context, RunRequest(operation="update", run_id="u1"), now=INITS[1], show_progress=False)
    nothing = run_outcome(context, run_id="u1", status="Succeeded")
    assert (nothing.result, nothing.published) == ("nothing new", False)
    assert "nothing published" in nothing.detail


def test_a_workflow_without_a_run_succeeds_or_fails_by_its_status(synthetic: DynamicalDataset, store_url: str) -> None:
    context = StepContext.create(synthetic, store_url)
    assert run_outcome(context, run_id="validate-abc", status="Succeeded").result == "succeeded"
    failed = run_outcome(context, run_id="validate-abc", status="Error", failures="null")
    assert str(failed) == "failed: the workflow ended Error"


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        ("", None),
        ("null", None),
        ("[]", None),
        (
            json.dumps(
                [
                    {
                        "displayName": "join and publish",
                        "message": "Error (exit code 1): error: late",
                        "finishedAt": "2024-01-01T00:02:00Z",
                    },
                    {"displayName": "pipeline", "message": "", "finishedAt": "2024-01-01T00:03:00Z"},
                    {"displayName": "write: worker 1", "message": "OOMKilled", "finishedAt": "2024-01-01T00:01:00Z"},
                ]
            ),
            "write: worker 1: OOMKilled",
        ),
        ("not json", "not json"),
    ],
)
def test_the_first_failure_that_says_why(failures: str, expected: str | None) -> None:
    assert first_failure(failures) == expected
