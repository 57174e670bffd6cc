from typing import Any

import typer
from typer.core import TyperGroup

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.cli import build_app
from steps.run_request import RunRequest, argo_name, env_name, option_name
from tests.pipelines.argo.conftest import leaf


def command_envvars(dataset: DynamicalDataset, *path: str) -> dict[str, str]:
    command = typer.main.get_command(build_app([dataset]))
    for name in (dataset.dataset_id, *path):
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    return {str(param.envvar): param.opts[0] for param in command.params if isinstance(param.envvar, str)}


def test_plan_pods_get_every_run_option_through_the_variable_the_step_cli_reads(
    dataset: DynamicalDataset, template: dict[str, Any]
) -> None:
    envvars = command_envvars(dataset, "step", "plan")
    env = {e["name"]: e.get("value") for e in leaf(template, "plan")["container"]["env"]}
    workflow_parameters = {p["name"] for p in template["spec"]["arguments"]["parameters"]}
    for field in RunRequest.model_fields:
        assert envvars[env_name(field)] == option_name(field)
        assert env[env_name(field)] == f"{{{{inputs.parameters.{argo_name(field)}}}}}"
        assert argo_name(field) in workflow_parameters


def test_write_and_join_pods_read_the_run_and_store_from_the_environment(
    dataset: DynamicalDataset, template: dict[str, Any]
) -> None:
    for step in ("write", "join"):
        envvars = command_envvars(dataset, "step", step)
        env = {e["name"]: e.get("value") for e in leaf(template, step)["container"]["env"]}
        for field in ("run_id", "store_url"):
            assert env_name(field) in envvars
            assert env[env_name(field)] == f"{{{{inputs.parameters.{argo_name(field)}}}}}"


def test_pods_keep_writable_state_on_volumes(template: dict[str, Any]) -> None:
    for name in ("plan", "write", "join", "validate"):
        container = leaf(template, name)["container"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {env["HOME"], env["TMPDIR"]} <= mounts
        outputs = [a for a in container["command"] if a.startswith("/")]
        assert outputs
        assert all(a.startswith("/tmp/") for a in outputs)
