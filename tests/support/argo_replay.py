"""Replay generated Argo manifests on this machine: Argo's parameter substitution, DAG order, fan-out,
retries and output parameters, with each container's command run as a local subprocess.

Substitution follows the controller: workflow parameters hold their raw values (so a default of
`{{workflow.name}}` stays a tag), and a leaf template is resolved in two passes — globals over the whole
template (its inputs included), then `inputs.parameters.*`. The exit handler gets the workflow's arguments.

Like the controller, the replay also gives each pod an ARGO_PROGRESS_FILE and reads the `done/total` it holds at
the end, collects output parameters with a `globalName` as the workflow's outputs, and evaluates the templates'
Prometheus `metrics` (a `when` may compare with `==` or `!=`).
"""

import copy
import json
import os
import random
import re
import string
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.argo.dag_graph import DEPENDS_TOKEN, topological_order
from pipelines.argo.lint import TAG

REPO_ROOT = Path(__file__).parents[2]
MOUNT_TAG = "replay.mount:"
DISPLAY_NAME = "workflows.argoproj.io/display-name"
PROGRESS = re.compile(r"^(\d+)/(\d+)$")
HOST_ENV = ("PATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "UV_PYTHON_DOWNLOADS")

type Manifest = dict[str, Any]


@dataclass(frozen=True)
class Pod:
    """One container attempt, as the replay ran it."""

    template: str
    label: str
    attempt: int
    command: list[str]
    env: dict[str, str]
    returncode: int
    container_security_context: dict[str, Any]
    pod_security_context: dict[str, Any]
    volume_mounts: dict[str, str]
    backoff_seconds: float
    stdout: str
    stderr: str
    display_name: str | None = None
    progress: str | None = None  # what the pod left in its ARGO_PROGRESS_FILE
    message: str = ""


@dataclass(frozen=True)
class Metric:
    name: str
    labels: dict[str, str]
    value: str


@dataclass
class Result:
    status: str
    name: str
    pods: list[Pod] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    workflow_outputs: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)

    @property
    def progress(self) -> tuple[int, int]:
        """The workflow's progress as Argo sums it: each node's last attempt, `done/total` from its progress file,
        else 1/1 when it succeeded and 0/1 when not."""
        last = {pod.label: pod for pod in sorted(self.pods, key=lambda p: p.attempt)}
        done = total = 0
        for pod in last.values():
            match = PROGRESS.match(pod.progress or "")
            node = (int(match[1]), int(match[2])) if match else (int(pod.returncode == 0), 1)
            done, total = done + node[0], total + node[1]
        return done, total


class ReplayError(Exception):
    pass


def substitute(node: Any, values: Mapping[str, str]) -> Any:
    """Replace every `{{key}}` whose key is known; leave the others (allowUnresolved)."""
    if isinstance(node, str):
        return TAG.sub(lambda m: values.get(m.group(1), m.group(0)), node)
    if isinstance(node, dict):
        return {k: substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, values) for v in node]
    return node


def _tags(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield from TAG.findall(node)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _tags(value)
    elif isinstance(node, list):
        for value in node:
            yield from _tags(value)


def evaluate_depends(expression: str, results: Mapping[str, str]) -> bool:
    tokens = DEPENDS_TOKEN.findall(expression)
    position = 0

    def operand() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "!":
            return not operand()
        if token == "(":
            value = disjunction()
            position += 1
            return value
        name, _, wanted = token.partition(".")
        phase = results[name]
        if not wanted:
            return phase in ("Succeeded", "Skipped", "Daemoned")
        return phase == wanted or (wanted == "AnySucceeded" and phase == "Succeeded")

    def conjunction() -> bool:
        nonlocal position
        value = operand()
        while position < len(tokens) and tokens[position] == "&&":
            position += 1
            value = operand() and value
        return value

    def disjunction() -> bool:
        nonlocal position
        value = conjunction()
        while position < len(tokens) and tokens[position] == "||":
            position += 1
            value = conjunction() or value
        return value

    return disjunction() if tokens else True


def parameters(arguments: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    return {p["name"]: p for p in (arguments or {}).get("parameters") or []}


class ArgoReplay:
    """Runs Workflows (optionally `workflowTemplateRef`-erencing) from a set of WorkflowTemplates.

    `main_command(label, attempt)` gives the argv that replaces the image's `main` for one pod attempt;
    `secrets` holds `{secret name: {key: value}}` for `env.valueFrom.secretKeyRef`.
    """

    def __init__(
        self,
        templates: list[Manifest],
        *,
        secrets: Mapping[str, Mapping[str, str]],
        main_command: Callable[[str, int], list[str]],
        scratch: Path,
        backoff_scale: float = 0.0,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.templates = {t["metadata"]["name"]: t for t in templates}
        self.secrets = secrets
        self.main_command = main_command
        self.scratch = scratch
        self.backoff_scale = backoff_scale
        self.extra_env = dict(extra_env or {})
        self._locks: dict[str, threading.Lock] = {}

    def run(self, workflow: Manifest) -> Result:
        spec = self._effective_spec(workflow)
        metadata = workflow["metadata"]
        name = metadata.get("name") or metadata["generateName"] + "".join(
            random.choices(string.ascii_lowercase + string.digits, k=5)
        )
        result = Result(status="Running", name=name)
        globals_ = {
            "workflow.name": name,
            "workflow.namespace": "replay",
            "workflow.uid": name,
            "workflow.mainEntrypoint": spec["entrypoint"],
            "workflow.serviceAccountName": "",
            "workflow.creationTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        arguments = parameters(spec.get("arguments"))
        globals_ |= {f"workflow.parameters.{k}": p["value"] for k, p in arguments.items()}
        run = _Run(self, spec, globals_, result, threading.Semaphore(spec.get("parallelism") or 1_000))
        started = time.monotonic()
        entry_arguments = {k: p["value"] for k, p in arguments.items()}
        ok = run.template(spec["entrypoint"], entry_arguments, spec["entrypoint"])
        result.status = "Succeeded" if ok else "Failed"
        if spec.get("onExit"):
            run.globals |= {
                "workflow.status": result.status,
                "workflow.duration": f"{time.monotonic() - started:.3f}",
                "workflow.failures": json.dumps(run.failures()),
            }
            run.template(spec["onExit"], entry_arguments, "exit-handler")
        return result

    def _effective_spec(self, workflow: Manifest) -> Manifest:
        spec = copy.deepcopy(workflow["spec"])
        reference = spec.pop("workflowTemplateRef", None)
        if reference is None:
            return spec
        template_spec = copy.deepcopy(self.templates[reference["name"]]["spec"])
        merged_arguments = parameters(template_spec.get("arguments")) | parameters(spec.pop("arguments", None))
        return template_spec | spec | {"arguments": {"parameters": list(merged_arguments.values())}}

    def lock(self, name: str) -> threading.Lock:
        return self._locks.setdefault(name, threading.Lock())


class _Run:
    def __init__(
        self,
        replay: ArgoReplay,
        spec: Manifest,
        globals_: dict[str, str],
        result: Result,
        parallelism: threading.Semaphore,
    ) -> None:
        self.replay = replay
        self.spec = spec
        self.templates = {t["name"]: t for t in spec["templates"]}
        self.globals = globals_
        self.result = result
        self.parallelism = parallelism
        self.record = threading.Lock()

    def template(self, name: str, arguments: Mapping[str, str], label: str) -> bool:
        template = _mark_mounts(copy.deepcopy(self.templates[name]))
        for parameter in (template.get("inputs") or {}).get("parameters") or []:
            if parameter["name"] in arguments:
                parameter["value"] = arguments[parameter["name"]]
            elif "value" not in parameter:
                if "default" not in parameter:
                    raise ReplayError(f"{label}: input {parameter['name']!r} was not supplied")
                parameter["value"] = parameter["default"]
        template = substitute(template, self.globals)
        inputs = {
            f"inputs.parameters.{p['name']}": p["value"] for p in template.get("inputs", {}).get("parameters", [])
        }
        template = substitute(template, inputs)
        started = time.monotonic()
        ok = self.dag(template["dag"], label) if "dag" in template else self.pod(template, label)
        self.emit_metrics(template, label, ok, time.monotonic() - started)
        return ok

    def emit_metrics(self, template: Manifest, label: str, ok: bool, seconds: float) -> None:
        own = {
            "status": "Succeeded" if ok else "Failed",
            "duration": f"{seconds:.3f}",
            **{f"outputs.parameters.{k}": v for k, v in self.result.outputs.get(label, {}).items()},
        }
        for metric in (template.get("metrics") or {}).get("prometheus") or []:
            resolved = substitute(substitute(metric, self.globals), own)
            if "when" in resolved and not any(_tags(resolved["when"])) and not _holds(resolved["when"]):
                continue
            unresolved = sorted(set(_tags(resolved)))
            if unresolved and ok:
                raise ReplayError(f"{label}: metric {metric['name']!r} has unresolved {unresolved}")
            if unresolved:  # a failed node has no outputs: the controller cannot emit the metric
                continue
            kind = next(k for k in ("gauge", "counter", "histogram") if k in resolved)
            labels = {item["key"]: item["value"] for item in resolved.get("labels") or []}
            with self.record:
                self.result.metrics.append(Metric(resolved["name"], labels, resolved[kind]["value"]))

    def failures(self) -> list[dict[str, str]]:
        """`workflow.failures`: every failed pod attempt, as the controller lists failed nodes."""
        return [
            {
                "displayName": pod.display_name or pod.label,
                "message": pod.message,
                "templateName": pod.template,
                "phase": "Failed",
                "podName": f"{self.result.name}-{pod.label}-{pod.attempt}",
                "finishedAt": f"2000-01-01T00:00:{index:02d}Z",
            }
            for index, pod in enumerate(self.result.pods)
            if pod.returncode != 0
        ]

    def dag(self, dag: Manifest, label: str) -> bool:
        tasks = {t["name"]: t for t in dag["tasks"]}
        edges = {
            n: {tok.split(".")[0] for tok in DEPENDS_TOKEN.findall(t.get("depends", ""))} for n, t in tasks.items()
        }
        edges = {n: {d for d in deps if d in tasks} for n, deps in edges.items()}
        phases: dict[str, str] = {}
        scope: dict[str, str] = {}
        for name in topological_order(edges):
            task = tasks[name]
            if not evaluate_depends(task.get("depends", ""), phases):
                phases[name] = "Omitted"
                continue
            task = substitute(task, scope)
            if "withParam" in task or "withSequence" in task:
                items = json.loads(task["withParam"]) if "withParam" in task else sequence(task["withSequence"])
                calls = [
                    (substitute(task.get("arguments"), {"item": _item_text(item)}), f"{label}.{name}({i})")
                    for i, item in enumerate(items)
                ]
            else:
                calls = [(task.get("arguments"), f"{label}.{name}")]
            template_name = task["template"]
            with ThreadPoolExecutor(max(1, len(calls))) as pool:
                futures = [
                    pool.submit(self.template, template_name, {k: p["value"] for k, p in parameters(a).items()}, call)
                    for a, call in calls
                ]
                outcomes = [f.result() for f in futures]
            phases[name] = "Succeeded" if all(outcomes) else "Failed"
            if len(calls) == 1:
                outputs = self.result.outputs.get(calls[0][1], {})
                scope |= {f"tasks.{name}.outputs.parameters.{k}": v for k, v in outputs.items()}
        return all(phase != "Failed" for phase in phases.values())

    def pod(self, template: Manifest, label: str) -> bool:
        running = {k: v for k, v in template.items() if k != "metrics"}  # metrics resolve once the pod is done
        unresolved = sorted(t for t in set(_tags(running)) if not t.startswith(MOUNT_TAG))
        if unresolved:
            raise ReplayError(f"{label}: unresolved {unresolved}")
        retry = template.get("retryStrategy") or {}
        limit = int(retry.get("limit", 0))
        backoff = retry.get("backoff") or {}
        mutexes = [m["name"] for m in (template.get("synchronization") or {}).get("mutexes") or []]
        delay = 0.0
        for attempt in range(limit + 1):
            with ExitStack() as held:
                for lock in [self.parallelism, *(self.replay.lock(m) for m in mutexes)]:
                    held.enter_context(lock)
                pod = self._attempt(template, label, attempt, delay)
            with self.record:
                self.result.pods.append(pod)
            if pod.returncode == 0:
                return True
            delay = _backoff_seconds(backoff, attempt)
            time.sleep(delay * self.replay.backoff_scale)
        return False

    def _attempt(self, template: Manifest, label: str, attempt: int, delay: float) -> Pod:
        container = template["container"]
        pod_dir = self.replay.scratch / self.result.name / f"{label}-{attempt}"
        mounts = {m["mountPath"]: str(pod_dir / m["name"]) for m in container.get("volumeMounts") or []}
        for path in mounts.values():
            Path(path).mkdir(parents=True, exist_ok=True)
        template = substitute(template, {f"{MOUNT_TAG}{path}": local for path, local in mounts.items()})
        container = template["container"]
        command = [*container.get("command", []), *container.get("args", [])]
        if command[0] == "main":
            command = [*self.replay.main_command(label, attempt), *command[1:]]
        pod_dir.mkdir(parents=True, exist_ok=True)
        progress_file = pod_dir / "argo-progress"
        env = {k: os.environ[k] for k in HOST_ENV if k in os.environ} | self.replay.extra_env
        env["ARGO_PROGRESS_FILE"] = str(progress_file)
        for variable in container.get("env") or []:
            value = self._env_value(variable, label)
            if value is not None:
                env[variable["name"]] = value
        deadline = template.get("activeDeadlineSeconds")
        try:
            completed = subprocess.run(
                command,
                env=env,
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=int(deadline) if deadline is not None else None,
                check=False,
            )
            returncode, stdout, stderr = completed.returncode, completed.stdout, completed.stderr
        except subprocess.TimeoutExpired as e:
            returncode, stdout, stderr = -9, str(e.stdout or ""), f"activeDeadlineSeconds exceeded: {e}"
        if returncode == 0:
            outputs = {}
            for parameter in (template.get("outputs") or {}).get("parameters") or []:
                path = Path(parameter["valueFrom"]["path"])
                if not path.exists():
                    returncode, stderr = 1, f"{stderr}\noutput parameter file {path} is missing"
                    break
                outputs[parameter["name"]] = path.read_text().rstrip("\n")
            with self.record:
                self.result.outputs[label] = outputs
                for parameter in (template.get("outputs") or {}).get("parameters") or []:
                    if parameter.get("globalName") and parameter["name"] in outputs:
                        self.result.workflow_outputs[parameter["globalName"]] = outputs[parameter["name"]]
        return Pod(
            template=template["name"],
            label=label,
            attempt=attempt,
            command=command,
            env=env,
            returncode=returncode,
            container_security_context=container.get("securityContext") or {},
            pod_security_context=self.spec.get("securityContext") or {},
            volume_mounts=mounts,
            backoff_seconds=delay,
            stdout=stdout,
            stderr=stderr,
            display_name=(template.get("annotations") or {}).get(DISPLAY_NAME),
            progress=progress_file.read_text().strip() if progress_file.exists() else None,
            message=_failure_message(container, returncode, stderr),
        )

    def _env_value(self, variable: Manifest, label: str) -> str | None:
        if "value" in variable:
            return variable["value"]
        reference = variable["valueFrom"]["secretKeyRef"]
        value = self.replay.secrets.get(reference["name"], {}).get(reference["key"])
        if value is None and not reference.get("optional"):
            raise ReplayError(f"{label}: secret {reference['name']}/{reference['key']} is missing")
        return value


def _failure_message(container: Manifest, returncode: int, stderr: str) -> str:
    """The node message: the exit code, and with FallbackToLogsOnError the end of the log."""
    if returncode == 0:
        return ""
    message = f"Error (exit code {returncode})"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if container.get("terminationMessagePolicy") == "FallbackToLogsOnError" and lines:
        message += f": {lines[-1]}"
    return message


def _holds(condition: str) -> bool:
    for operator in ("!=", "=="):
        left, found, right = condition.partition(operator)
        if found:
            return (left.strip() == right.strip()) == (operator == "==")
    raise ReplayError(f"unsupported when {condition!r}")


def sequence(spec: Manifest) -> list[str]:
    """The items of a `withSequence` of `count` items: "0" … "count - 1" (the only form the templates use)."""
    if set(spec) != {"count"}:
        raise ReplayError(f"unsupported withSequence {spec}")
    return [str(i) for i in range(int(spec["count"]))]


def _item_text(item: Any) -> str:
    return item if isinstance(item, str) else json.dumps(item)


def _mark_mounts(template: Manifest) -> Manifest:
    """Tag the template's own paths under a volume mount, before parameters bring in values of their own."""
    mounts = sorted((m["mountPath"] for m in (template.get("container") or {}).get("volumeMounts") or []), key=len)

    def mark(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: v if k == "volumeMounts" else mark(v) for k, v in node.items()}
        if isinstance(node, list):
            return [mark(v) for v in node]
        if isinstance(node, str):
            for mount in reversed(mounts):
                if node == mount or node.startswith(mount + "/"):
                    return f"{{{{{MOUNT_TAG}{mount}}}}}{node[len(mount) :]}"
        return node

    return mark(template)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")


def _seconds(duration: str) -> float:
    if duration.isdigit():
        return float(duration)
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in _DURATION.findall(duration))


def _backoff_seconds(backoff: Mapping[str, Any], attempt: int) -> float:
    if "duration" not in backoff:
        return 0.0
    delay = _seconds(str(backoff["duration"])) * int(backoff.get("factor", 1)) ** attempt
    return min(delay, _seconds(str(backoff["cap"]))) if "cap" in backoff else delay
