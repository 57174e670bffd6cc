from typing import Any

import typer
from typer.core import TyperGroup

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.argo.containers import PLAN_ENV, PLAN_INPUTS
from pipelines.cli import build_app
from tests.pipelines.argo.conftest import leaf


def plan_command_envvars(dataset: DynamicalDataset) -> dict[str, str]:
    command = typer.main.get_command(build_app([dataset]))
    for name in (dataset.dataset_id, "step", "plan"):
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    plan = command
    return {str(param.envvar): param.opts[0] for param in plan.params if isinstance(param.envvar, str)}


def test_plan_pods_pass_optional_settings_through_variables_the_step_cli_reads(
    dataset: DynamicalDataset, template: dict[str, Any]
) -> None:
    envvars = plan_command_envvars(dataset)
    assert set(PLAN_ENV.values()) <= set(envvars)
    for param, variable in PLAN_ENV.items():
        assert envvars[variable] == f"--{param}"
    env = {e["name"]: e.get("value") for e in leaf(template, "plan")["container"]["env"]}
    for param, variable in PLAN_ENV.items():
        assert env[variable] == f"{{{{inputs.parameters.{param}}}}}"
    assert set(PLAN_ENV) <= set(PLAN_INPUTS)


def test_pods_keep_writable_state_on_volumes(template: dict[str, Any]) -> None:
    for name in ("plan", "write", "join", "validate"):
        container = leaf(template, name)["container"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {env["HOME"], env["TMPDIR"]} <= mounts
        outputs = [a for a in container["command"] if a.startswith("/")]
        assert outputs
        assert all(a.startswith("/tmp/") for a in outputs)
