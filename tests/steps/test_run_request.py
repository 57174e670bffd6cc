from typing import Any

import pandas as pd
import pytest
import typer
from typer.core import TyperGroup

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.errors import UserInputError
from datasets.common.timestamps import timestamp
from pipelines.cli import build_app
from steps.run_request import RunRequest, backfill_only_fields, env_name, option_name

END = pd.Timestamp("2024-01-02")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"operation": "rewind"}, "--operation: unknown operation 'rewind'"),
        ({}, "a backfill needs an append-dim end"),
        ({"append_dim_end": "tomorrow"}, "--append-dim-end: invalid date 'tomorrow'"),
        ({"append_dim_end": END, "workers": 0}, "workers must be at least 1"),
        ({"append_dim_end": END, "run_id": "a b"}, "run id 'a b' must use only"),
        ({"append_dim_end": END, "filter_start": "2024-01-05", "filter_end": "2024-01-02"}, "must be after start"),
        ({"operation": "update", "filter_contains": "2024-01-01"}, "an update takes no --filter-contains"),
        ({"operation": "update", "overwrite_chunks": True}, "an update takes no --overwrite-chunks"),
        ({"append_dim_end": END, "store_url": "ftp://x/y"}, "unsupported store URL 'ftp://x/y'"),
        ({"append_dim_end": END, "replica_urls": "s3://bucket-only"}, "needs a bucket and a prefix"),
    ],
)
def test_bad_requests_are_user_errors(values: dict[str, Any], message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        RunRequest.parse(**values)


def test_requests_parse_what_the_environment_gives() -> None:
    request = RunRequest.parse(
        append_dim_end="2024-01-02T00:00+00:00",
        filter_start="",
        filter_contains="2024-01-01T06 2024-01-01T12",
        filter_variable_names="a b",
        replica_urls="x.zarr,s3://b/y.icechunk",
        run_id="",
    )
    assert request.append_dim_end == END
    assert request.filter_start is None
    assert request.filter_contains == (pd.Timestamp("2024-01-01T06"), pd.Timestamp("2024-01-01T12"))
    assert request.filter_variable_names == ("a", "b")
    assert request.replica_urls == ("x.zarr", "s3://b/y.icechunk")
    assert request.run_id is None
    assert RunRequest.model_validate_json(request.model_dump_json()) == request


def test_identity_ignores_the_run_id_and_worker_count_only() -> None:
    request = RunRequest(append_dim_end=END)
    assert request.identity == request.model_copy(update={"run_id": "x", "workers": 9}).identity
    assert request.identity != request.model_copy(update={"overwrite_chunks": True}).identity
    assert request.identity != request.model_copy(update={"source_url": "http://mirror"}).identity


def test_check_uses_what_only_the_dataset_knows() -> None:
    request = RunRequest(append_dim_end=END, filter_variable_names=("snow",))
    with pytest.raises(UserInputError, match="must be after the dataset start"):
        request.check(timestamp("2024-03-01"), {"snow"})
    with pytest.raises(UserInputError, match=r"unknown variable name\(s\) snow \(known: rain\)"):
        request.check(timestamp("2024-01-01"), {"rain"})


def commands(dataset: DynamicalDataset) -> dict[str, Any]:
    group = typer.main.get_command(build_app([dataset]))
    assert isinstance(group, TyperGroup)
    dataset_group = group.commands[dataset.dataset_id]
    assert isinstance(dataset_group, TyperGroup)
    step = dataset_group.commands["step"]
    assert isinstance(step, TyperGroup)
    return {**dataset_group.commands, **{f"step {n}": c for n, c in step.commands.items()}}


def test_every_run_command_takes_the_request_fields_of_its_operation(synthetic: DynamicalDataset) -> None:
    by_name = commands(synthetic)
    flags = {name: {o for p in by_name[name].params for o in p.opts} for name in by_name}
    envvars = {name: {p.envvar for p in by_name[name].params} for name in by_name}
    every = set(RunRequest.model_fields)
    backfill = every - {"operation"}
    update = backfill - set(backfill_only_fields())
    for command, fields in [
        ("step plan", every),
        ("backfill-local", backfill - {"append_dim_end"}),
        ("backfill-argo", backfill - {"append_dim_end"}),
        ("update", update),
    ]:
        assert {option_name(f) for f in fields} <= flags[command], command
        assert {env_name(f) for f in fields} <= envvars[command], command
    assert not {option_name(f) for f in backfill_only_fields()} & flags["update"]
    arguments = [p.name for p in by_name["backfill-local"].params if not p.opts[0].startswith("-")]
    assert arguments == ["append_dim_end"]
