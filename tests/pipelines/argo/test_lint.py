import copy
from collections.abc import Callable
from typing import Any

import pytest

from pipelines.argo.lint import lint
from tests.pipelines.argo.conftest import leaf

type Manifests = dict[str, dict[str, Any]]


def tasks(manifests: Manifests) -> dict[str, dict[str, Any]]:
    template = manifests["workflow-template.yaml"]
    return {t["name"]: t for t in leaf(template, "pipeline")["dag"]["tasks"]}


def container(manifests: Manifests, name: str) -> dict[str, Any]:
    return leaf(manifests["workflow-template.yaml"], name)["container"]


def spec(manifests: Manifests) -> dict[str, Any]:
    return manifests["workflow-template.yaml"]["spec"]


def set_task(name: str, key: str, value: Any) -> Callable[[Manifests], None]:
    return lambda m: tasks(m)[name].__setitem__(key, value)


def add_arg(template: str, text: str) -> Callable[[Manifests], None]:
    return lambda m: container(m, template)["command"].append(text)


MUTATIONS: dict[str, tuple[Callable[[Manifests], None], str]] = {
    "undefined template": (set_task("join", "template", "publish"), "undefined template 'publish'"),
    "undefined entrypoint": (lambda m: spec(m).__setitem__("entrypoint", "main"), "entrypoint template 'main'"),
    "undefined exit handler": (lambda m: spec(m).__setitem__("onExit", "notify"), "onExit template 'notify'"),
    "cycle": (set_task("plan", "depends", "join"), "dependency cycle"),
    "unknown task in depends": (set_task("join", "depends", "write.Succeeded && verify"), "unknown task 'verify'"),
    "depends syntax": (set_task("join", "depends", "write &&"), "incomplete depends"),
    "unknown task result": (set_task("join", "depends", "write.Finished"), "unknown task result"),
    "depends and dependencies": (set_task("join", "dependencies", ["write"]), "both 'depends' and 'dependencies'"),
    "continueOn with depends": (set_task("join", "continueOn", {"failed": True}), "'continueOn'"),
    "unknown input": (add_arg("join", "{{inputs.parameters.nope}}"), "no such input parameter"),
    "unknown workflow parameter": (add_arg("join", "{{workflow.parameters.nope}}"), "no such workflow parameter"),
    "status outside exit handler": (add_arg("join", "{{workflow.status}}"), "not available here"),
    "unknown variable": (add_arg("join", "{{steps.x.outputs.result}}"), "cannot be resolved"),
    "metric of an output the template lacks": (
        lambda m: leaf(m["workflow-template.yaml"], "join")["metrics"]["prometheus"][0]["gauge"].__setitem__(
            "value", "{{outputs.parameters.nope}}"
        ),
        "metrics: {{outputs.parameters.nope}}: no such output parameter",
    ),
    "metric variable outside metrics": (add_arg("join", "{{duration}}"), "cannot be resolved"),
    "expression": (add_arg("join", "{{=inputs.parameters['run-id']}}"), "not supported"),
    "item outside fan-out": (
        lambda m: tasks(m)["join"]["arguments"]["parameters"][0].__setitem__("value", "{{item}}"),
        "outside a withParam",
    ),
    "output of a task that is not a dependency": (
        lambda m: tasks(m)["plan"]["arguments"]["parameters"][0].__setitem__(
            "value", "{{tasks.write.outputs.parameters.plan}}"
        ),
        "does not depend on 'write'",
    ),
    "unknown output": (
        set_task("write", "withSequence", {"count": "{{tasks.plan.outputs.parameters.worker-count}}"}),
        "no output parameter 'worker-count'",
    ),
    "missing required input": (
        lambda m: tasks(m)["join"]["arguments"].__setitem__("parameters", []),
        "does not supply required input 'run-id'",
    ),
    "undeclared argument": (
        lambda m: tasks(m)["join"]["arguments"]["parameters"].append({"name": "force", "value": "true"}),
        "passes 'force'",
    ),
    "workflow parameter without value": (
        lambda m: spec(m)["arguments"]["parameters"][1].pop("value"),
        "has no value",
    ),
    "value outside enum": (
        lambda m: spec(m)["arguments"]["parameters"][0].__setitem__("value", "rebuild"),
        "not in its enum",
    ),
    "deadline on a dag": (
        lambda m: leaf(m["workflow-template.yaml"], "pipeline").__setitem__("activeDeadlineSeconds", 60),
        "only valid for leaf templates",
    ),
    "two template types": (
        lambda m: leaf(m["workflow-template.yaml"], "join").__setitem__("script", {"image": "x", "source": "y"}),
        "exactly one template type",
    ),
    "bad backoff": (
        lambda m: leaf(m["workflow-template.yaml"], "join")["retryStrategy"]["backoff"].__setitem__("cap", "ten"),
        "is not a duration",
    ),
    "bad cron": (
        lambda m: m["update-cron-workflow.yaml"]["spec"].__setitem__("schedules", ["0 25 * * *"]),
        "outside 0-23",
    ),
    "bad timezone": (
        lambda m: m["update-cron-workflow.yaml"]["spec"].__setitem__("timezone", "Mars/Olympus"),
        "unknown timezone",
    ),
    "bad concurrency policy": (
        lambda m: m["update-cron-workflow.yaml"]["spec"].__setitem__("concurrencyPolicy", "Never"),
        "concurrencyPolicy",
    ),
    "cron name too long": (
        lambda m: m["update-cron-workflow.yaml"]["metadata"].__setitem__("name", "x" * 53),
        "at most 52 characters",
    ),
    "template name not a DNS label": (
        lambda m: m["workflow-template.yaml"]["metadata"].__setitem__("name", "Synthetic_Forecast"),
        "DNS label",
    ),
    "bad label value": (
        lambda m: m["workflow-template.yaml"]["metadata"]["labels"].__setitem__("reformatters/dataset", "a b"),
        "invalid value",
    ),
    "missing referenced template": (
        lambda m: m["update-cron-workflow.yaml"]["spec"]["workflowSpec"]["workflowTemplateRef"].__setitem__(
            "name", "gone"
        ),
        "workflowTemplateRef 'gone'",
    ),
    "argument unknown to the referenced template": (
        lambda m: m["update-cron-workflow.yaml"]["spec"]["workflowSpec"]["arguments"]["parameters"].append(
            {"name": "wokers", "value": "3"}
        ),
        "argument 'wokers' is not a parameter",
    ),
}


def test_generated_manifests_are_clean(manifests: Manifests) -> None:
    assert lint(list(manifests.values())) == []


@pytest.mark.parametrize("case", list(MUTATIONS))
def test_lint_reports(manifests: Manifests, case: str) -> None:
    mutate, expected = MUTATIONS[case]
    broken = copy.deepcopy(manifests)
    mutate(broken)
    problems = lint(list(broken.values()))
    assert any(expected in p for p in problems), problems


def test_generate_name_must_leave_room_for_the_random_suffix() -> None:
    workflow = {"kind": "Workflow", "metadata": {"generateName": "x" * 60 + "-"}, "spec": {"templates": []}}
    assert any("generateName" in p for p in lint([workflow]))
