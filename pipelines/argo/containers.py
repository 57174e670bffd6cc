from collections.abc import Sequence
from typing import Any

from hera.workflows import Container, EmptyDirVolume, Env, Parameter, RetryStrategy, SecretEnv
from hera.workflows import models as m

from datasets.common.dynamical_dataset import SOURCE_URL_ENV, DynamicalDataset
from datasets.common.storage import REPLICA_URLS_ENV, STORE_URL_ENV
from pipelines.argo.settings import PLAN_OUTPUT, WORKER_INDICES_OUTPUT, ArgoSettings, Param
from pipelines.virtual_cli import DEADLINE_MARGIN_SECONDS
from steps.write import WRITE_ENV

RUN_AS_USER = 1000
STEP_DEADLINE_SECONDS = 3600
SCRATCH_PATH = "/tmp"
PLAN_ENV = {
    Param.append_dim_end: "REFORMAT_APPEND_DIM_END",
    Param.filter_start: "REFORMAT_FILTER_START",
    Param.filter_end: "REFORMAT_FILTER_END",
    Param.filter_contains: "REFORMAT_FILTER_CONTAINS",
    Param.filter_variable_names: "REFORMAT_FILTER_VARIABLE_NAMES",
    Param.overwrite_chunks: "REFORMAT_OVERWRITE_CHUNKS",
    Param.overwrite_metadata: "REFORMAT_OVERWRITE_METADATA",
}
PLAN_INPUTS = (Param.operation, Param.run_id, Param.workers, *PLAN_ENV)


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


def inputs(*names: Param | str) -> list[Parameter]:
    return [Parameter(name=str(name)) for name in names]


def input_ref(name: Param | str) -> str:
    return f"{{{{inputs.parameters.{name}}}}}"


def workflow_ref(name: Param | str) -> str:
    return f"{{{{workflow.parameters.{name}}}}}"


class StepContainers:
    """The leaf templates of a dataset's pipeline: one container per step, all in the same hardened pod shape."""

    def __init__(self, dataset: DynamicalDataset[Any, Any], settings: ArgoSettings) -> None:
        self.dataset = dataset
        self.settings = settings

    def plan(self) -> Container:
        return self._step(
            "plan",
            [
                *("step", "plan", "--operation", input_ref(Param.operation), "--run-id", input_ref(Param.run_id)),
                *("--workers-total", input_ref(Param.workers), "--output", PLAN_OUTPUT),
                *("--worker-indices-output", WORKER_INDICES_OUTPUT),
            ],
            inputs=inputs(*PLAN_INPUTS),
            env={env: input_ref(param) for param, env in PLAN_ENV.items()},
            outputs=[
                Parameter(name="plan", value_from=m.ValueFrom(path=PLAN_OUTPUT)),
                Parameter(name="worker-indices", value_from=m.ValueFrom(path=WORKER_INDICES_OUTPUT)),
            ],
        )

    def write(self) -> Container:
        return self._step(
            "write",
            [
                *("step", "write", "--run-id", input_ref(Param.run_id), "--worker-index", input_ref("worker-index")),
                *("--workers-total", input_ref(Param.workers), "--output", "/tmp/outputs/write.json"),
            ],
            inputs=inputs(Param.run_id, "worker-index", Param.workers, Param.write_deadline_seconds),
            env=WRITE_ENV,
            deadline=input_ref(Param.write_deadline_seconds),
        )

    def join(self) -> Container:
        return self._step(
            "join",
            ["step", "join", "--run-id", input_ref(Param.run_id), "--output", "/tmp/outputs/join.json"],
            inputs=inputs(Param.run_id),
            synchronization=m.Synchronization(mutexes=[m.Mutex(name=f"{self.dataset.dataset_id}-publish")]),
        )

    def validate(self) -> Container:
        return self._step("validate", ["validate", "--json", "/tmp/outputs/validate.json"], retries=1)

    def virtual_update(self) -> Container:
        """A virtual dataset's update: one pod polling the archive, ending on its own before its deadline."""
        deadline = self.dataset.operational.update_deadline_seconds
        polling = max(1, deadline - DEADLINE_MARGIN_SECONDS)
        return self._step("virtual-update", ["update", "--deadline-seconds", str(polling)], deadline=deadline)

    def exit_handler(self) -> Container:
        return Container(
            name="exit-handler",
            image=self.settings.image_name,
            command=[
                "echo",
                f"reformatters dataset={self.dataset.dataset_id}",
                "workflow={{workflow.name}}",
                "status={{workflow.status}}",
                "duration={{workflow.duration}}s",
            ],
            security_context=container_security_context(),
            resources=m.ResourceRequirements(requests={"cpu": m.Quantity("50m"), "memory": m.Quantity("32Mi")}),
            active_deadline_seconds=300,
        )

    def _step(
        self,
        name: str,
        args: Sequence[str],
        inputs: Sequence[Parameter] = (),
        env: dict[str, str] | None = None,
        outputs: Sequence[Parameter] = (),
        deadline: int | str = STEP_DEADLINE_SECONDS,
        retries: int = 3,
        synchronization: m.Synchronization | None = None,
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
        return Container(
            name=name,
            image=self.settings.image_name,
            command=["main", self.dataset.dataset_id, *args],
            inputs=list(inputs) or None,
            outputs=list(outputs) or None,
            env=[*self._environment(), *(Env(name=k, value=v) for k, v in (env or {}).items())],
            resources=m.ResourceRequirements(
                requests={
                    "cpu": m.Quantity(operational.cpu),
                    "memory": m.Quantity(operational.memory),
                    "ephemeral-storage": m.Quantity(operational.ephemeral_storage),
                }
            ),
            volumes=volumes,
            security_context=container_security_context(),
            retry_strategy=RetryStrategy(
                limit=retries, retry_policy="Always", backoff=m.Backoff(duration="30s", factor=2, cap="10m")
            ),
            active_deadline_seconds=deadline,
            synchronization=synchronization,
        )

    def _environment(self) -> list[Env | SecretEnv]:
        secret = self.settings.storage_secret
        return [
            Env(name=STORE_URL_ENV, value=workflow_ref(Param.store_url)),
            Env(name=REPLICA_URLS_ENV, value=workflow_ref(Param.replica_urls)),
            Env(name=SOURCE_URL_ENV, value=workflow_ref(Param.source_url)),
            SecretEnv(name="AWS_ACCESS_KEY_ID", secret_name=secret, secret_key="AWS_ACCESS_KEY_ID"),
            SecretEnv(name="AWS_SECRET_ACCESS_KEY", secret_name=secret, secret_key="AWS_SECRET_ACCESS_KEY"),
            SecretEnv(name="AWS_ENDPOINT_URL", secret_name=secret, secret_key="AWS_ENDPOINT_URL", optional=True),
            SecretEnv(name="AWS_REGION", secret_name=secret, secret_key="AWS_REGION", optional=True),
            Env(name="HOME", value=SCRATCH_PATH),
            Env(name="TMPDIR", value=SCRATCH_PATH),
            Env(name="XDG_CACHE_HOME", value=f"{SCRATCH_PATH}/.cache"),
        ]
