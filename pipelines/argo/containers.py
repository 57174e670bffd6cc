from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hera.workflows import Container, EmptyDirVolume, Env, Parameter, RetryStrategy, SecretEnv
from hera.workflows import models as m

from datasets.common.dynamical_dataset import DynamicalDataset
from pipelines.argo.metrics import join_metrics, outcome_metrics
from pipelines.argo.settings import (
    JOIN_OUTPUT,
    JOIN_VALUES,
    OUTCOME_VALUES,
    PLAN_OUTPUT,
    VALIDATE_OUTPUT,
    WORKERS_OUTPUT,
    WRITE_DEADLINE_PARAMETER,
    WRITE_OUTPUT,
    ArgoSettings,
)
from pipelines.virtual_cli import DEADLINE_MARGIN_SECONDS
from steps.run_request import RunRequest, argo_name, env_name
from steps.write import WRITE_ENV

RUN_AS_USER = 1000
STEP_DEADLINE_SECONDS = 3600
SCRATCH_PATH = "/tmp"
WORKER_INDEX = "worker-index"
PIPELINE = "pipeline"
DISPLAY_NAME = "workflows.argoproj.io/display-name"
EXIT_HANDLER_RESOURCES = m.ResourceRequirements(requests={"cpu": m.Quantity("250m"), "memory": m.Quantity("512Mi")})


def pod_security_context() -> m.PodSecurityContext:
    return m.PodSecurityContext(
        run_as_non_root=True,
        run_as_user=RUN_AS_USER,
        run_as_group=RUN_AS_USER,
        fs_group=RUN_AS_USER,
        seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
    )


def container_security_context() -> m.SecurityContext:
    return m.SecurityContext(
        run_as_non_root=True,
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=True,
        capabilities=m.Capabilities(drop=["ALL"]),
    )


@dataclass(kw_only=True)
class Step(Container):
    """A container template with the name the Argo UI shows for its node (may use the template's inputs)."""

    display_name: str | None = None

    def _build_template(self) -> m.Template:
        template = super()._build_template()
        if self.display_name:
            template.annotations = {DISPLAY_NAME: self.display_name}
        return template


def values_outputs(folder: str, names: Sequence[str], global_names: Sequence[str] = ()) -> list[Parameter]:
    """Output parameters read from the files a step writes with `--values-dir folder`."""
    return [
        Parameter(
            name=name,
            value_from=m.ValueFrom(path=f"{folder}/{name}"),
            global_name=name if name in global_names else None,
        )
        for name in names
    ]


class StepContainers:
    """The leaf templates of a dataset's pipeline: one container per step, all in the same hardened pod shape.

    A step takes the run options it needs as input parameters (the DAG passes the workflow's parameters of the
    same name) and reads them from their REFORMAT_* environment variables.
    """

    def __init__(self, dataset: DynamicalDataset[Any, Any], settings: ArgoSettings) -> None:
        self.dataset = dataset
        self.settings = settings

    def plan(self) -> Container:
        return self._step(
            "plan",
            ["step", "plan", "--output", PLAN_OUTPUT, "--workers-output", WORKERS_OUTPUT],
            fields=list(RunRequest.model_fields),
            outputs=[
                Parameter(name="plan", value_from=m.ValueFrom(path=PLAN_OUTPUT)),
                Parameter(name="workers", value_from=m.ValueFrom(path=WORKERS_OUTPUT)),
            ],
            display_name="plan {{inputs.parameters.operation}}",
        )

    def write(self) -> Container:
        container = self._step(
            "write",
            [],
            fields=["run_id", "store_url"],
            inputs=[Parameter(name=WORKER_INDEX), Parameter(name=WRITE_DEADLINE_PARAMETER)],
            env=[Env(name=k, value=v) for k, v in WRITE_ENV.items()],
            display_name=f"write: worker {{{{inputs.parameters.{WORKER_INDEX}}}}}",
        )
        worker_index = container.get_parameter(WORKER_INDEX).value
        assert container.command is not None
        assert worker_index is not None
        container.command += ["step", "write", "--worker-index", worker_index, "--output", WRITE_OUTPUT]
        container.active_deadline_seconds = container.get_parameter(WRITE_DEADLINE_PARAMETER).value
        return container

    def join(self) -> Container:
        return self._step(
            "join",
            ["step", "join", "--output", JOIN_OUTPUT, "--values-dir", JOIN_VALUES],
            fields=["run_id", "store_url"],
            outputs=values_outputs(JOIN_VALUES, ["source-files-failed", "bytes-written"]),
            synchronization=m.Synchronization(mutexes=[m.Mutex(name=f"{self.dataset.dataset_id}-publish")]),
            metrics=join_metrics(self.dataset),
            display_name="join and publish",
        )

    def validate(self) -> Container:
        return self._step(
            "validate",
            ["validate", "--json", VALIDATE_OUTPUT],
            fields=["store_url", "replica_urls"],
            retries=1,
            display_name="validate",
        )

    def virtual_update(self) -> Container:
        """A virtual dataset's update: one pod polling the archive, ending on its own before its deadline."""
        deadline = self.dataset.operational.update_deadline_seconds
        polling = max(1, deadline - DEADLINE_MARGIN_SECONDS)
        return self._step(
            "virtual-update",
            ["update", "--deadline-seconds", str(polling)],
            fields=["store_url", "source_url"],
            deadline=deadline,
            display_name="virtual update",
        )

    def exit_handler(self) -> Container:
        """After every workflow: what it came to (published, nothing new, failed and why), as the workflow's
        `outcome` output, and whether it published, as a metric."""
        return self._step(
            "exit-handler",
            [
                "step",
                "outcome",
                "--status",
                "{{workflow.status}}",
                "--failures",
                "{{workflow.failures}}",
                "--values-dir",
                OUTCOME_VALUES,
            ],
            fields=["run_id", "store_url"],  # Argo passes the workflow's arguments to the exit handler
            outputs=values_outputs(OUTCOME_VALUES, ["outcome", "published"], global_names=["outcome"]),
            retries=1,
            metrics=outcome_metrics(self.dataset, PIPELINE),
            display_name="outcome",
            resources=EXIT_HANDLER_RESOURCES,
            deadline=300,
        )

    def _step(
        self,
        name: str,
        args: Sequence[str],
        fields: Sequence[str],
        inputs: Sequence[Parameter] = (),
        env: Sequence[Env] = (),
        outputs: Sequence[Parameter] = (),
        retries: int = 3,
        synchronization: m.Synchronization | None = None,
        metrics: m.Metrics | None = None,
        display_name: str | None = None,
        resources: m.ResourceRequirements | None = None,
        deadline: int = STEP_DEADLINE_SECONDS,
    ) -> Container:
        operational = self.dataset.operational
        volumes = [
            EmptyDirVolume(
                name="scratch", mount_path=SCRATCH_PATH, size_limit=m.Quantity(operational.ephemeral_storage)
            )
        ]
        if operational.shared_memory:
            volumes.append(
                EmptyDirVolume(
                    name="shm", mount_path="/dev/shm", medium="Memory", size_limit=m.Quantity(operational.shared_memory)
                )
            )
        container = Step(
            name=name,
            image=self.settings.image,
            command=["main", self.dataset.dataset_id, *args],
            inputs=[*(Parameter(name=argo_name(f)) for f in fields), *inputs],
            outputs=list(outputs) or None,
            resources=resources
            or m.ResourceRequirements(
                requests={
                    "cpu": m.Quantity(operational.cpu),
                    "memory": m.Quantity(operational.memory),
                    "ephemeral-storage": m.Quantity(operational.ephemeral_storage),
                }
            ),
            volumes=volumes,
            security_context=container_security_context(),
            termination_message_policy="FallbackToLogsOnError",  # a failed node says why in the UI
            retry_strategy=RetryStrategy(
                limit=retries, retry_policy="Always", backoff=m.Backoff(duration="30s", factor=2, cap="10m")
            ),
            active_deadline_seconds=deadline,
            synchronization=synchronization,
            metrics=metrics,
            display_name=display_name,
        )
        from_inputs = [Env(name=env_name(f), value=container.get_parameter(argo_name(f)).value) for f in fields]
        container.env = [*self._environment(), *env, *from_inputs]
        return container

    def _environment(self) -> list[Env | SecretEnv]:
        secret = self.settings.storage_secret
        return [
            SecretEnv(name="AWS_ACCESS_KEY_ID", secret_name=secret, secret_key="AWS_ACCESS_KEY_ID"),
            SecretEnv(name="AWS_SECRET_ACCESS_KEY", secret_name=secret, secret_key="AWS_SECRET_ACCESS_KEY"),
            SecretEnv(name="AWS_ENDPOINT_URL", secret_name=secret, secret_key="AWS_ENDPOINT_URL", optional=True),
            SecretEnv(name="AWS_REGION", secret_name=secret, secret_key="AWS_REGION", optional=True),
            Env(name="HOME", value=SCRATCH_PATH),
            Env(name="TMPDIR", value=SCRATCH_PATH),
            Env(name="XDG_CACHE_HOME", value=f"{SCRATCH_PATH}/.cache"),
        ]
