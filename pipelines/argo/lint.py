"""Offline checks that mirror `argo lint` for the manifests this project generates."""

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pipelines.argo.cron import CronError, parse_cron, parse_timezone
from pipelines.argo.dag_graph import DependsError, depends_names, topological_order

type Manifest = Mapping[str, Any]

TAG = re.compile(r"{{\s*(.*?)\s*}}")
NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
PARAMETER_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^\d+$")
TEMPLATE_TYPES = (
    "container",
    "script",
    "dag",
    "steps",
    "resource",
    "suspend",
    "containerSet",
    "data",
    "http",
    "plugin",
)
WORKFLOW_GLOBALS = {"name", "namespace", "uid", "creationTimestamp", "mainEntrypoint", "serviceAccountName"}
EXIT_GLOBALS = {"status", "duration", "failures"}
# What a template's own metrics may use beside its inputs and the globals
METRIC_VARIABLES = {"status", "duration", "exitCode", "retries", "outputs.result"}
NAME_LIMITS = {"WorkflowTemplate": 63, "CronWorkflow": 52, "Workflow": 63}
GENERATE_NAME_LIMIT = 58  # Argo appends 5 random characters; workflow names end up in 63-character labels


def lint(manifests: Sequence[Manifest]) -> list[str]:
    """Every problem found, each as `kind/name: message`; an empty list means the manifests would pass."""
    templates = {m["metadata"]["name"]: m for m in manifests if m.get("kind") == "WorkflowTemplate"}
    problems = []
    for manifest in manifests:
        metadata = manifest.get("metadata", {})
        where = f"{manifest.get('kind')}/{metadata.get('name') or metadata.get('generateName')}"
        problems.extend(f"{where}: {message}" for message in _lint_manifest(manifest, templates))
    return problems


def _lint_manifest(manifest: Manifest, templates: Mapping[str, Manifest]) -> Iterator[str]:
    kind = manifest.get("kind")
    if kind not in NAME_LIMITS:
        yield f"unsupported kind {kind!r}"
        return
    yield from _lint_metadata(kind, manifest["metadata"])
    spec = manifest["spec"]
    if kind == "CronWorkflow":
        yield from _lint_cron(spec)
        spec = spec["workflowSpec"]
    own_arguments = _parameters(spec.get("arguments"))
    reference = spec.get("workflowTemplateRef")
    if reference:
        referenced = templates.get(reference.get("name"))
        if referenced is None:
            yield f"workflowTemplateRef {reference.get('name')!r} is not among the manifests"
            return
        declared = _parameters(referenced["spec"].get("arguments"))
        for name in own_arguments:
            if name not in declared:
                yield f"argument {name!r} is not a parameter of WorkflowTemplate {reference['name']!r}"
        spec = {
            **referenced["spec"],
            **{k: v for k, v in spec.items() if k not in ("workflowTemplateRef", "arguments")},
        }
        spec["arguments"] = {"parameters": list({**declared, **own_arguments}.values())}
    yield from _lint_spec(spec)


def _lint_metadata(kind: str, metadata: Mapping[str, Any]) -> Iterator[str]:
    name, generate_name = metadata.get("name"), metadata.get("generateName")
    if name:
        if not DNS_LABEL.match(name) or len(name) > NAME_LIMITS[kind]:
            yield f"name {name!r} must be a DNS label of at most {NAME_LIMITS[kind]} characters"
    elif generate_name:
        if not DNS_LABEL.match(generate_name.rstrip("-")) or len(generate_name) > GENERATE_NAME_LIMIT:
            yield f"generateName {generate_name!r} must be a DNS label prefix of at most {GENERATE_NAME_LIMIT} characters"
    else:
        yield "metadata needs a name or generateName"
    for key, value in (metadata.get("labels") or {}).items():
        prefix, _, label = key.rpartition("/")
        if (prefix and len(prefix) > 253) or not label or len(label) > 63 or not LABEL_VALUE.match(label):
            yield f"label key {key!r} is invalid"
        if len(value) > 63 or not LABEL_VALUE.match(value):
            yield f"label {key}={value!r} has an invalid value"


def _lint_cron(spec: Mapping[str, Any]) -> Iterator[str]:
    schedules = spec.get("schedules") or []
    if not schedules:
        yield "a CronWorkflow needs at least one schedule"
    for schedule in schedules:
        try:
            parse_cron(schedule)
        except CronError as e:
            yield str(e)
    if "timezone" in spec:
        try:
            parse_timezone(spec["timezone"])
        except CronError as e:
            yield str(e)
    if spec.get("concurrencyPolicy", "Allow") not in ("Allow", "Forbid", "Replace"):
        yield f"concurrencyPolicy {spec['concurrencyPolicy']!r} is not Allow, Forbid or Replace"


def _parameters(arguments: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    return {p["name"]: p for p in (arguments or {}).get("parameters") or []}


def _has_value(parameter: Mapping[str, Any]) -> bool:
    return "value" in parameter or "default" in parameter or "valueFrom" in parameter


def _lint_spec(spec: Mapping[str, Any]) -> Iterator[str]:
    templates = {t["name"]: t for t in spec.get("templates") or []}
    if len(templates) != len(spec.get("templates") or []):
        yield "template names are not unique"
    arguments = _parameters(spec.get("arguments"))
    for name, parameter in arguments.items():
        if not PARAMETER_NAME.match(name):
            yield f"parameter name {name!r} is invalid"
        if not _has_value(parameter):
            yield f"workflow parameter {name!r} has no value"
        if "enum" in parameter and "value" in parameter and parameter["value"] not in parameter["enum"]:
            yield f"workflow parameter {name!r} value {parameter['value']!r} is not in its enum"
    if spec.get("parallelism") is not None and spec["parallelism"] < 1:
        yield "parallelism must be at least 1"
    entry_points = {"entrypoint": spec.get("entrypoint")}
    if spec.get("onExit"):
        entry_points["onExit"] = spec["onExit"]
    for field, name in entry_points.items():
        if name not in templates:
            yield f"{field} template {name!r} is not defined"
            continue
        for parameter in (templates[name].get("inputs") or {}).get("parameters") or []:
            if parameter["name"] not in arguments and not _has_value(parameter):
                yield f"{field} template {name!r} input {parameter['name']!r} is not supplied by the workflow arguments"
    exit_templates = _reachable(templates, spec.get("onExit"))
    for template in templates.values():
        context = f"template {template['name']!r}"
        yield from (f"{context}: {m}" for m in _lint_template(template, templates, arguments, exit_templates))


def _reachable(templates: Mapping[str, Manifest], root: str | None) -> set[str]:
    seen: set[str] = set()
    pending = [root] if root else []
    while pending:
        name = pending.pop()
        if name in seen or name not in templates:
            continue
        seen.add(name)
        pending.extend(task["template"] for task in (templates[name].get("dag") or {}).get("tasks") or [])
    return seen


def _lint_template(
    template: Manifest, templates: Mapping[str, Manifest], arguments: Mapping[str, Any], exit_templates: set[str]
) -> Iterator[str]:
    if not NAME.match(template["name"]) or len(template["name"]) > 128:
        yield "invalid template name"
    kinds = [k for k in TEMPLATE_TYPES if k in template]
    if len(kinds) != 1:
        yield f"must have exactly one template type, has {kinds}"
    if "activeDeadlineSeconds" in template and ("dag" in template or "steps" in template):
        yield "activeDeadlineSeconds is only valid for leaf templates"
    if "timeout" in template and ("dag" in template or "steps" in template):
        yield "timeout cannot be applied to steps or dag templates"
    backoff = (template.get("retryStrategy") or {}).get("backoff") or {}
    for field in ("duration", "cap", "maxDuration"):
        if field in backoff and not GO_DURATION.match(str(backoff[field])):
            yield f"retryStrategy.backoff.{field} {backoff[field]!r} is not a duration"
    inputs = {p["name"] for p in (template.get("inputs") or {}).get("parameters") or []}
    outputs = (template.get("outputs") or {}).get("parameters") or []
    for parameter in outputs:
        path = (parameter.get("valueFrom") or {}).get("path")
        if "container" in template and not (path and path.startswith("/")):
            yield f"output parameter {parameter['name']!r} needs an absolute valueFrom.path"
    scope = _Scope(inputs, set(arguments), template["name"] in exit_templates)
    metrics = _MetricScope(inputs, set(arguments), template["name"] in exit_templates, {p["name"] for p in outputs})
    yield from (f"metrics: {m}" for m in metrics.check(template.get("metrics"), tasks=None))
    if "dag" in template:
        yield from _lint_dag(template["dag"], templates, scope)
    else:
        yield from scope.check({k: v for k, v in template.items() if k != "metrics"}, tasks=None)


class _Scope:
    def __init__(self, inputs: set[str], workflow_parameters: set[str], in_exit_handler: bool) -> None:
        self.inputs = inputs
        self.workflow_parameters = workflow_parameters
        self.in_exit_handler = in_exit_handler

    def check(self, node: Any, tasks: "_TaskScope | None", *, with_item: bool = False) -> Iterator[str]:
        for text in _strings(node):
            for tag in TAG.findall(text):
                problem = self._resolve(tag, tasks, with_item)
                if problem:
                    yield problem

    def _resolve(self, tag: str, tasks: "_TaskScope | None", with_item: bool) -> str | None:
        parts = tag.split(".")
        if tag.startswith("="):
            return f"expression {{{{{tag}}}}} is not supported by this linter"
        if parts[:2] == ["inputs", "parameters"] and len(parts) == 3:
            return None if parts[2] in self.inputs else f"{{{{{tag}}}}}: no such input parameter"
        if parts[:2] == ["workflow", "parameters"] and len(parts) == 3:
            return None if parts[2] in self.workflow_parameters else f"{{{{{tag}}}}}: no such workflow parameter"
        if parts[0] == "workflow" and len(parts) == 2:
            if parts[1] in WORKFLOW_GLOBALS or (self.in_exit_handler and parts[1] in EXIT_GLOBALS):
                return None
            return f"{{{{{tag}}}}} is not available here"
        if parts[0] == "item":
            return None if with_item else f"{{{{{tag}}}}} outside a withParam/withItems task"
        if parts[0] == "tasks" and tasks is not None:
            return tasks.resolve(parts)
        return f"{{{{{tag}}}}} cannot be resolved"


class _MetricScope(_Scope):
    def __init__(
        self, inputs: set[str], workflow_parameters: set[str], in_exit_handler: bool, outputs: set[str]
    ) -> None:
        super().__init__(inputs, workflow_parameters, in_exit_handler)
        self.outputs = outputs

    def _resolve(self, tag: str, tasks: "_TaskScope | None", with_item: bool) -> str | None:
        parts = tag.split(".")
        if tag in METRIC_VARIABLES:
            return None
        if parts[:2] == ["outputs", "parameters"] and len(parts) == 3:
            return None if parts[2] in self.outputs else f"{{{{{tag}}}}}: no such output parameter"
        return super()._resolve(tag, tasks, with_item)


class _TaskScope:
    def __init__(self, task: str, ancestors: set[str], outputs: Mapping[str, set[str]]) -> None:
        self.task = task
        self.ancestors = ancestors
        self.outputs = outputs

    def resolve(self, parts: list[str]) -> str | None:
        tag = ".".join(parts)
        if len(parts) != 5 or parts[2:4] != ["outputs", "parameters"]:
            return f"{{{{{tag}}}}} is not a task output parameter reference"
        name, output = parts[1], parts[4]
        if name not in self.outputs:
            return f"{{{{{tag}}}}}: no task {name!r}"
        if name not in self.ancestors:
            return f"{{{{{tag}}}}}: task {self.task!r} does not depend on {name!r}"
        if output not in self.outputs[name]:
            return f"{{{{{tag}}}}}: task {name!r} has no output parameter {output!r}"
        return None


def _lint_dag(dag: Manifest, templates: Mapping[str, Manifest], scope: _Scope) -> Iterator[str]:
    tasks = {t["name"]: t for t in dag.get("tasks") or []}
    if len(tasks) != len(dag.get("tasks") or []):
        yield "task names are not unique"
    edges: dict[str, set[str]] = {}
    for name, task in tasks.items():
        if not NAME.match(name) or name[0].isdigit():
            yield f"task name {name!r} is invalid"
        if "depends" in task and "dependencies" in task:
            yield f"task {name!r}: cannot use both 'depends' and 'dependencies'"
        if "depends" in task and "continueOn" in task:
            yield f"task {name!r}: cannot use 'continueOn' when using 'depends'"
        try:
            edges[name] = depends_names(task.get("depends", "")) | set(task.get("dependencies") or [])
        except DependsError as e:
            yield f"task {name!r}: {e}"
            edges[name] = set()
        for dependency in edges[name] - set(tasks):
            yield f"task {name!r} depends on unknown task {dependency!r}"
    try:
        order = topological_order({n: d & set(tasks) for n, d in edges.items()})
    except DependsError as e:
        yield str(e)
        return
    ancestors: dict[str, set[str]] = {}
    for name in order:
        ancestors[name] = set().union(*({d} | ancestors[d] for d in edges[name] if d in ancestors))
    outputs = {
        name: {p["name"] for p in (templates.get(task["template"], {}).get("outputs") or {}).get("parameters") or []}
        for name, task in tasks.items()
    }
    for name, task in tasks.items():
        target = templates.get(task.get("template", ""))
        if target is None:
            yield f"task {name!r} uses undefined template {task.get('template')!r}"
            continue
        declared = {p["name"]: p for p in (target.get("inputs") or {}).get("parameters") or []}
        supplied = _parameters(task.get("arguments"))
        for argument in supplied.keys() - declared.keys():
            yield f"task {name!r} passes {argument!r}, which template {target['name']!r} does not declare"
        for parameter in declared.values():
            if parameter["name"] not in supplied and not _has_value(parameter):
                yield f"task {name!r} does not supply required input {parameter['name']!r}"
        fan_out = any(k in task for k in ("withParam", "withItems", "withSequence"))
        task_scope = _TaskScope(name, ancestors.get(name, set()), outputs)
        yield from (f"task {name!r}: {m}" for m in scope.check(task, task_scope, with_item=fan_out))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
