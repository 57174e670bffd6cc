import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from datasets.common.dynamical_dataset import DynamicalDataset
from datasets.common.region_job import worker_share
from pipelines.argo.backfill import backfill_workflow
from pipelines.argo.render import dataset_manifests, to_yaml
from pipelines.argo.settings import STORAGE_SECRET, ArgoSettings
from steps.run_request import RunRequest
from tests.support.argo_replay import ArgoReplay, Result
from tests.support.runs import INITS, assert_same_dataset, read_main, run_cli
from tests.support.synthetic_dataset import FREQUENCY

END = INITS[-1] + FREQUENCY
SECRET_KEY = "replay-secret-access-key"

type KillAt = Callable[[str, int], str]


def replay_backfill(
    synthetic: DynamicalDataset, store_url: str, moto_endpoint: str, scratch: Path, kill_at: KillAt
) -> Result:
    """Render the manifests to YAML text, read them back, and replay a backfill Workflow against them."""
    template_text = to_yaml(dataset_manifests(synthetic, ArgoSettings())["workflow-template.yaml"])
    request = RunRequest(append_dim_end=END, workers=2, store_url=store_url)
    workflow_text = yaml.safe_dump(backfill_workflow(synthetic, request).to_dict())
    template_dir = synthetic.template_config.template_path().parent

    def main_command(label: str, attempt: int) -> list[str]:
        cli = [sys.executable, "-m", "tests.support.synthetic_cli", str(template_dir), synthetic.source_base_url]
        return [*cli, kill_at(label, attempt), "--"]

    replay = ArgoReplay(
        [yaml.safe_load(template_text)],
        secrets={
            STORAGE_SECRET: {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_ENDPOINT_URL": moto_endpoint,
                "AWS_REGION": "us-east-1",
            }
        },
        main_command=main_command,
        scratch=scratch,
    )
    return replay.run(yaml.safe_load(workflow_text))


def attempts(result: Result) -> list[tuple[str, int, int]]:
    return sorted((pod.label, pod.attempt, pod.returncode) for pod in result.pods)


def job_shares(result: Result) -> list[int]:
    """How many jobs each write worker got, from the plan's output."""
    plan = json.loads(result.outputs["pipeline.plan"]["plan"])
    return [len(worker_share(range(plan["jobs"]), i, plan["workers_total"])) for i in range(plan["workers_total"])]


def never(label: str, attempt: int) -> str:
    return "none"


@pytest.mark.slow
def test_replayed_backfill_matches_backfill_local_even_when_a_write_pod_is_killed(
    synthetic: DynamicalDataset, source: Path, s3_bucket: str, moto_endpoint: str, tmp_path: Path
) -> None:
    replayed_url = f"s3://{s3_bucket}/replayed.icechunk"
    result = replay_backfill(synthetic, replayed_url, moto_endpoint, tmp_path / "pods", never)
    assert result.status == "Succeeded", [p.stderr for p in result.pods if p.returncode]
    assert attempts(result) == [
        ("exit-handler", 0, 0),
        ("pipeline.join", 0, 0),
        ("pipeline.plan", 0, 0),
        ("pipeline.write(0)", 0, 0),
        ("pipeline.write(1)", 0, 0),
    ]
    assert result.outputs["pipeline.plan"]["workers"] == "2"
    assert result.workflow_outputs["outcome"].startswith("published: backfill ")
    shares = job_shares(result)
    assert {p.label: p.progress for p in result.pods if p.template == "write"} == {
        f"pipeline.write({i})": f"{share}/{share}" for i, share in enumerate(shares)
    }
    assert result.progress == (sum(shares) + 3, sum(shares) + 3)  # plan, join and exit handler count 1/1
    assert {p.label: p.display_name for p in result.pods} == {
        "pipeline.plan": "plan backfill",
        "pipeline.write(0)": "write: worker 0",
        "pipeline.write(1)": "write: worker 1",
        "pipeline.join": "join and publish",
        "exit-handler": "outcome",
    }
    metrics = {m.name: m for m in result.metrics}
    assert {m.labels["dataset"] for m in result.metrics} == {synthetic.dataset_id}
    assert {m.labels["operation"] for m in result.metrics} == {"backfill"}
    assert metrics["reformatters_run_published"].value == "1"
    assert metrics["reformatters_run_duration_seconds"].labels["status"] == "Succeeded"
    assert float(metrics["reformatters_run_duration_seconds"].value) > 0
    assert int(metrics["reformatters_bytes_written"].value) > 0
    assert metrics["reformatters_source_files_failed"].value == result.outputs["pipeline.join"]["source-files-failed"]

    killed_url = f"s3://{s3_bucket}/killed.icechunk"

    def kill_first_write_once(label: str, attempt: int) -> str:
        return "write-after-job" if label == "pipeline.write(0)" and attempt == 0 else "none"

    killed = replay_backfill(synthetic, killed_url, moto_endpoint, tmp_path / "killed-pods", kill_first_write_once)
    assert killed.status == "Succeeded", [p.stderr for p in killed.pods if p.returncode]
    write_zero = [p for p in killed.pods if p.label == "pipeline.write(0)"]
    assert [(p.attempt, p.returncode) for p in write_zero] == [(0, -9), (1, 0)]
    share = job_shares(killed)[0]
    # killed once its first job was recorded, before reporting it; the retry skips that job and counts it done
    assert [p.progress for p in write_zero] == [f"0/{share}", f"{share}/{share}"]
    assert write_zero[1].backoff_seconds == 30

    local_url = f"s3://{s3_bucket}/local.icechunk"
    local = run_cli(
        synthetic,
        ["synthetic-forecast", "backfill-local", END.isoformat(), "--workers", "2", "--store", local_url],
    )
    assert local.returncode == 0, local.stderr
    expected = read_main(local_url)
    assert expected.sizes["init_time"] == len(INITS)
    assert_same_dataset(read_main(replayed_url), expected)
    assert_same_dataset(read_main(killed_url), expected)


@pytest.mark.slow
def test_a_write_that_keeps_failing_fails_the_workflow_without_publishing(
    synthetic: DynamicalDataset, source: Path, s3_bucket: str, moto_endpoint: str, tmp_path: Path
) -> None:
    def always_kill_second_writer(label: str, attempt: int) -> str:
        return "write-after-download" if label == "pipeline.write(1)" else "none"

    url = f"s3://{s3_bucket}/failed.icechunk"
    result = replay_backfill(synthetic, url, moto_endpoint, tmp_path / "pods", always_kill_second_writer)
    assert result.status == "Failed"
    labels = [p.label for p in result.pods]
    assert labels.count("pipeline.write(1)") == 4  # the first attempt and retryStrategy.limit = 3 retries
    assert "pipeline.join" not in labels
    outcome = result.workflow_outputs["outcome"]
    assert outcome.startswith("failed: write: worker 1: Error (exit code -9)"), outcome
    assert {m.name: m.value for m in result.metrics} == {
        "reformatters_run_duration_seconds": next(m.value for m in result.metrics if "duration" in m.name),
        "reformatters_run_published": "0",
    }
    backoffs = [p.backoff_seconds for p in result.pods if p.label == "pipeline.write(1)"]
    assert backoffs == [0, 30, 60, 120]


def test_every_replayed_pod_is_hardened_and_gets_credentials_only_from_the_secret(
    synthetic: DynamicalDataset, tmp_path: Path
) -> None:
    text = to_yaml(dataset_manifests(synthetic, ArgoSettings())["workflow-template.yaml"])
    assert SECRET_KEY not in text
    replay = ArgoReplay(
        [yaml.safe_load(text)],
        secrets={STORAGE_SECRET: {"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": SECRET_KEY}},
        main_command=lambda label, attempt: ["true"],
        scratch=tmp_path,
    )
    request = RunRequest(append_dim_end=END, workers=1)
    workflow = yaml.safe_load(yaml.safe_dump(backfill_workflow(synthetic, request).to_dict()))
    result = replay.run(workflow)
    assert result.status == "Failed"  # `true` writes no plan output: the DAG stops after plan
    assert {p.label for p in result.pods} == {"pipeline.plan", "exit-handler"}
    for pod in result.pods:
        assert pod.pod_security_context["runAsNonRoot"] is True
        assert pod.container_security_context == {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
        }
    plan = next(p for p in result.pods if p.label == "pipeline.plan")
    assert plan.env["AWS_SECRET_ACCESS_KEY"] == SECRET_KEY
    assert "AWS_ENDPOINT_URL" not in plan.env  # optional key, absent from the secret
    assert set(plan.volume_mounts) == {"/tmp"} | ({"/dev/shm"} if synthetic.operational.shared_memory else set())
    assert plan.env["TMPDIR"].startswith(str(tmp_path))


RECORDING_MAIN = """
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
env = {k: v for k, v in os.environ.items() if k.startswith("REFORMAT_")}
with open(os.environ["REPLAY_LOG"], "a") as log:
    log.write(json.dumps({"args": args, "env": env}) + "\\n")
def flag(name):
    return args[args.index(name) + 1] if name in args else None
for name in ("--output", "--json"):
    if flag(name):
        Path(flag(name)).parent.mkdir(parents=True, exist_ok=True)
        Path(flag(name)).write_text("{}")
if flag("--values-dir"):
    Path(flag("--values-dir")).mkdir(parents=True, exist_ok=True)
    for name in ("source-files-failed", "bytes-written", "outcome", "published"):
        (Path(flag("--values-dir")) / name).write_text("0")
if flag("--workers-output"):
    Path(flag("--workers-output")).write_text(env["REFORMAT_WORKERS"])
"""


def replay_cron(dataset: DynamicalDataset, name: str, tmp_path: Path) -> tuple[Result, list[dict]]:
    """Replay a CronWorkflow's workflow with a `main` that only records how it was called."""
    manifests = {k: yaml.safe_load(to_yaml(v)) for k, v in dataset_manifests(dataset, ArgoSettings()).items()}
    script = tmp_path / "recording_main.py"
    script.write_text(RECORDING_MAIN)
    log = tmp_path / "calls.jsonl"
    replay = ArgoReplay(
        [manifests["workflow-template.yaml"]],
        secrets={STORAGE_SECRET: {"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key"}},
        main_command=lambda label, attempt: [sys.executable, str(script)],
        scratch=tmp_path / "pods",
        extra_env={"REPLAY_LOG": str(log)},
    )
    cron = manifests[name]
    workflow = {"metadata": {"generateName": f"{cron['metadata']['name']}-"}, "spec": cron["spec"]["workflowSpec"]}
    result = replay.run(workflow)
    return result, [json.loads(line) for line in log.read_text().splitlines()]


def test_the_update_cron_runs_plan_write_join_as_an_update(dataset: DynamicalDataset, tmp_path: Path) -> None:
    result, calls = replay_cron(dataset, "update-cron-workflow.yaml", tmp_path)
    assert result.status == "Succeeded"
    steps = sorted(
        (c["args"][2], c["args"][c["args"].index("--worker-index") + 1] if "write" in c["args"] else "") for c in calls
    )
    assert steps == [("join", ""), ("outcome", ""), ("plan", ""), ("write", "0"), ("write", "1")]
    outcome = next(c for c in calls if c["args"][2] == "outcome")
    assert outcome["env"]["REFORMAT_RUN_ID"] == result.name  # the exit handler gets the workflow's arguments
    plan = next(c for c in calls if c["args"][2] == "plan")
    assert plan["env"]["REFORMAT_OPERATION"] == "update"
    assert plan["env"]["REFORMAT_RUN_ID"] == result.name
    assert plan["env"]["REFORMAT_APPEND_DIM_END"] == ""
    assert plan["env"]["REFORMAT_OVERWRITE_CHUNKS"] == "false"
    assert plan["env"]["REFORMAT_SOURCE_URL"] == dataset.source_base_url


def test_the_validate_cron_runs_only_validation(dataset: DynamicalDataset, tmp_path: Path) -> None:
    result, calls = replay_cron(dataset, "validate-cron-workflow.yaml", tmp_path)
    assert result.status == "Succeeded"
    assert [c["args"][:3] for c in calls] == [
        [dataset.dataset_id, "validate", "--json"],
        [dataset.dataset_id, "step", "outcome"],
    ]
    assert [p.label for p in result.pods] == ["validate", "exit-handler"]
    assert result.metrics == []  # a validation is not a run: no run metrics
