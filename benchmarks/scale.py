"""A 5-year backfill with a thousand write pods, on paper and in simulation: plan, join and the Argo workflow at scale.

- plan: `noaa-gfs-forecast` 2021-05-01 -> 2026-05-01 and `noaa-gefs-forecast-35-day` over its whole range, at 1, 100
  and 1,000 workers, each in a fresh process against a local repository: the job list, the temp branch with the
  expanded metadata and the run record. Also what one write worker spends before its first job (reading the record
  and building its share of the jobs).
- join: a GEFS plan of N jobs (9 source groups per init time), whose writes are simulated without downloading: the
  first job writes one real shard (random values through zarr), every other job a stand-in object at each of its
  shard keys (1 KiB, above Icechunk's inline threshold, so its fork holds one chunk reference per shard like a real
  job's), its forked session and a result of the real shape. Then join, in a fresh process (wall time and its
  ru_maxrss), the run record's bytes in the store, the joined commit's manifests, and the manifest bytes a read of
  one variable's newest init fetches (manifests split along the append dim).
- argo: the backfill Workflow for 1,000 workers as submitted, the WorkflowTemplate Argo copies into its status, the
  plan step's outputs, and the node status of a finished run (one stand-in NodeStatus per node, as Argo records it).

Run: `uv run python -m benchmarks.scale [--sections plan join argo] [--forks 1000 10000 20000] [--root DIR]`.
"""

import argparse
import base64
import gzip
import itertools
import json
import pickle
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import icechunk
import numpy as np
import pandas as pd
import yaml
import zarr
from hera.workflows import models as m
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync

from datasets.common.results import VariableResult
from datasets.common.timestamps import timestamp, utc_now
from datasets.registry import get_dataset
from pipelines.argo.backfill import backfill_workflow
from pipelines.argo.render import workflow_template
from pipelines.argo.settings import ArgoSettings
from pipelines.step_cli import plan_outputs
from steps.context import StepContext, planned_jobs, planned_template
from steps.join import join
from steps.plan import plan
from steps.run_request import RunRequest
from steps.run_state import PLAN, PlanRecord
from steps.write import JobResult, job_fork_name, job_result_name

GFS = "noaa-gfs-forecast"
GEFS = "noaa-gefs-forecast-35-day"
GFS_END = pd.Timestamp("2026-05-01T00:00")
WORKERS = (1, 100, 1000)
FORKS = (1000, 10000, 20000)
STAND_IN_BYTES = 1024
RUN_ID = "scale"
MB = 1e6


def whole_range_end(dataset_id: str) -> pd.Timestamp:
    config = get_dataset(dataset_id).template_config
    return timestamp(utc_now().floor(config.append_dim_frequency))


def _context(dataset_id: str, root: Path) -> StepContext:
    return StepContext.create(get_dataset(dataset_id), str(root / "store.icechunk"), str(root / "no-source"))


def _folder_bytes(path: Path, pattern: str = "**/*") -> tuple[int, int]:
    files = [p for p in path.glob(pattern) if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _in_fresh_process[T](function: Callable[..., T], *args: Any) -> T:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def time_plan(dataset_id: str, end: pd.Timestamp, workers: int, root: Path) -> dict[str, Any]:
    context = _context(dataset_id, root)
    request = RunRequest(operation="backfill", append_dim_end=end, workers=workers, run_id=RUN_ID)
    started = time.perf_counter()
    record = plan(context, request)
    seconds = time.perf_counter() - started
    worker_started = time.perf_counter()
    state = context.run_state(RUN_ID)
    planned = state.read_model(PLAN, PlanRecord)
    share = planned_jobs(context, planned, planned_template(context, planned), workers - 1, planned.workers_total)
    return {
        "plan_s": seconds,
        "jobs": len(record.jobs),
        "workers": record.workers_total,
        "plan_json_bytes": len(state.read_bytes(PLAN)),
        "worker_start_s": time.perf_counter() - worker_started,
        "worker_jobs": len(share),
        "max_rss_mb": _max_rss_bytes() / MB,
    }


def plan_section(root: Path) -> None:
    print("## plan (each in a fresh process, local repository)")
    print("dataset | range | workers | jobs | plan s | plan.json bytes | one worker's start s (its jobs) | RSS MB")
    for dataset_id, end in ((GFS, GFS_END), (GEFS, whole_range_end(GEFS))):
        start = get_dataset(dataset_id).template_config.append_dim_start
        for workers in WORKERS:
            folder = root / f"plan-{dataset_id}-{workers}"
            shutil.rmtree(folder, ignore_errors=True)
            r = _in_fresh_process(time_plan, dataset_id, end, workers, folder)
            print(
                f"{dataset_id} | {start:%Y-%m-%d} -> {end:%Y-%m-%d} | {r['workers']} | {r['jobs']} | {r['plan_s']:.2f}"
                f" | {r['plan_json_bytes']} | {r['worker_start_s']:.2f} ({r['worker_jobs']}) | {r['max_rss_mb']:.0f}",
                flush=True,
            )
            shutil.rmtree(folder, ignore_errors=True)


def _shard_keys(array: zarr.Array, region: slice) -> list[str]:
    shards = array.shards or array.chunks
    grid = [range(-(-size // shard)) for size, shard in zip(array.shape, shards, strict=True)]
    grid[0] = range(region.start // shards[0], -(-region.stop // shards[0]))
    return [f"{array.path}/{array.metadata.encode_chunk_key(index)}" for index in itertools.product(*grid)]


def _result(job: Any, template: Any) -> JobResult:
    init = pd.Timestamp(template["init_time"].values[job.region.start]).isoformat()
    maxima: dict[str, Any] = {"lead_time": int(template["lead_time"].values[-1] / np.timedelta64(1, "s"))}
    if "ensemble_member" in template.dims:
        maxima["ensemble_member"] = template.sizes["ensemble_member"] - 1
    files = template.sizes["lead_time"] * template.sizes.get("ensemble_member", 1)
    variables = {
        v.name: VariableResult(name=v.name, succeeded=files, coverage={init: maxima}, counters={"rounded": files})
        for v in job.data_vars
    }
    return JobResult(key=job.key, variables=variables, bytes_written=files * 4 * 721 * 1440 * len(job.data_vars))


def simulate_writes(context: StepContext, record: PlanRecord) -> float:
    """Every job's fork and result, as write workers leave them; returns seconds."""
    started = time.perf_counter()
    repo = context.repository()
    session = repo.writable_session(record.temp_branch)
    template = planned_template(context, record)
    jobs = planned_jobs(context, record, template)
    state = context.run_state(record.run_id)
    group = zarr.open_group(session.store, mode="r")
    arrays = dict(group.arrays())
    prototype = default_buffer_prototype().buffer.from_bytes(np.random.default_rng(0).bytes(STAND_IN_BYTES))
    for index, job in enumerate(jobs):
        fork = session.fork()
        names = [v.name for v in job.data_vars]
        if index == 0:
            array = zarr.open_array(fork.store, path=names[0], mode="r+")
            origin = (slice(job.region.start, job.region.start + 1), *[slice(0, 1)] * (array.ndim - 1))
            array[origin] = np.random.default_rng(1).random((1,) * array.ndim).astype(np.float32)
            names = names[1:]

        async def set_all(keys: Sequence[str], store: Any = fork.store) -> None:
            for key in keys:
                await store.set(key, prototype)

        sync(set_all([key for name in names for key in _shard_keys(arrays[name], job.region)]))
        state.write_bytes(job_fork_name(job.key), pickle.dumps(fork))
        state.write_model(job_result_name(job.key), _result(job, template))
    return time.perf_counter() - started


def time_join(root: Path) -> dict[str, Any]:
    context = _context(GEFS, root)
    started = time.perf_counter()
    summary = join(context, run_id=RUN_ID)
    assert summary.published, summary.message
    return {"join_s": time.perf_counter() - started, "max_rss_mb": _max_rss_bytes() / MB}


def baseline_rss() -> dict[str, Any]:
    _context(GEFS, Path(tempfile.gettempdir()))
    return {"max_rss_mb": _max_rss_bytes() / MB}


def newest_read_manifests(repo: icechunk.Repository, variable: str) -> tuple[int, int, int]:
    """Bytes of the manifest a read of `variable`'s newest shard fetches, of all its manifests, and their count."""
    snapshot = repo.inspect_snapshot(repo.lookup_branch("main"))
    sizes = {manifest["id"]: manifest["size_bytes"] for manifest in snapshot["manifests"]}
    refs = next(node for node in snapshot["nodes"] if node["path"] == f"/{variable}")["manifest_refs"]
    newest = max(refs, key=lambda ref: ref["extents"][0][1])
    return sizes[newest["id"]], sum(sizes[ref["id"]] for ref in refs), len(refs)


def join_section(root: Path, fork_counts: Sequence[int]) -> None:
    print("## join (GEFS, simulated writes; join in a fresh process)")
    print(f"a fresh process that imported the steps: {_in_fresh_process(baseline_rss)['max_rss_mb']:.0f} MB RSS")
    print(
        "forks | init times | write sim s | record before join: plan.json B / results MB / forks MB | join s | "
        "join RSS MB | record after MB | manifests (files, MB) | snapshot MB | a read of one variable's newest "
        "init fetches KB of manifests (of its KB in splits)"
    )
    dataset = get_dataset(GEFS)
    config = dataset.template_config
    groups = len(dataset.region_job_class.source_groups(config.data_vars))
    for count in fork_counts:
        folder = root / f"join-{count}"
        shutil.rmtree(folder, ignore_errors=True)
        inits = -(-count // groups)
        end = config.append_dim_start + inits * config.append_dim_frequency
        context = _context(GEFS, folder)
        record = plan(context, RunRequest(operation="backfill", append_dim_end=end, workers=1000, run_id=RUN_ID))
        write_s = simulate_writes(context, record)
        runs = folder / "store.icechunk.runs" / RUN_ID
        _, results = _folder_bytes(runs, "jobs/*.json")
        _, forks = _folder_bytes(runs, "jobs/*.fork")
        plan_bytes = (runs / PLAN).stat().st_size
        r = _in_fresh_process(time_join, folder)
        _, after = _folder_bytes(runs)
        manifests, manifest_bytes = _folder_bytes(folder / "store.icechunk" / "manifests")
        repo = context.repository()
        snapshot = repo.lookup_branch("main")
        snapshot_bytes = (folder / "store.icechunk" / "snapshots" / snapshot).stat().st_size
        newest, total, splits = newest_read_manifests(repo, config.data_vars[0].name)
        print(
            f"{len(record.jobs)} | {inits} | {write_s:.0f} | {plan_bytes} / {results / MB:.1f} / "
            f"{forks / MB:.1f} | {r['join_s']:.1f} | {r['max_rss_mb']:.0f} | {after / MB:.1f} | "
            f"{manifests}, {manifest_bytes / MB:.2f} | {snapshot_bytes / MB:.2f} | {newest / 1e3:.1f} "
            f"({total / 1e3:.1f} in {splits})",
            flush=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _node(name: str, template: str, parameters: dict[str, str], kind: str = "Pod", **fields: Any) -> dict[str, Any]:
    """One node as Argo's controller records it in status.nodes once it has succeeded."""
    node = m.NodeStatus(
        id=f"{RUN_ID}-backfill-x7k2p-{abs(hash(name)) % 10**10}",
        name=f"{GFS}-backfill-x7k2p.{name}",
        display_name=name,
        type=kind,
        template_name=template,
        template_scope="namespaced/" + GFS,
        phase="Succeeded",
        boundary_id=f"{GFS}-backfill-x7k2p",
        started_at=m.Time("2026-05-01T10:00:00Z"),
        finished_at=m.Time("2026-05-01T11:00:00Z"),
        progress="8/8",
        resources_duration={"cpu": 12345, "memory": 67890},
        inputs=m.Inputs(parameters=[m.Parameter(name=k, value=v) for k, v in parameters.items()]),
        host_node_name="ip-10-0-123-45.ec2.internal" if kind == "Pod" else None,
        outputs=m.Outputs(exit_code="0") if kind == "Pod" else None,
        **fields,
    )
    return node.model_dump(by_alias=True, exclude_none=True, mode="json")


def argo_section(workers: int = 1000) -> None:
    print(f"## argo (backfill of {GFS}, {workers} workers)")
    dataset = get_dataset(GFS)
    request = RunRequest(operation="backfill", append_dim_end=GFS_END, workers=workers)
    workflow = backfill_workflow(dataset, request).to_dict()
    template = workflow_template(dataset, ArgoSettings()).to_dict()
    print(f"submitted Workflow: {len(json.dumps(workflow))} bytes JSON, {len(yaml.safe_dump(workflow))} bytes YAML")
    print(f"WorkflowTemplate (copied into status.storedWorkflowTemplateSpec): {len(json.dumps(template))} bytes JSON")
    with tempfile.TemporaryDirectory() as scratch:
        record = plan(_context(GFS, Path(scratch)), request.model_copy(update={"run_id": RUN_ID}))
    outputs = plan_outputs(record)
    for name, value in outputs.items():
        print(f"plan output parameter {name}: {len(value)} bytes")
    tasks = {t["name"]: t for t in template["spec"]["templates"] if "dag" in t}["pipeline"]["dag"]["tasks"]
    write_inputs = {
        p["name"]: "x" * 40 for p in next(t for t in tasks if t["name"] == "write")["arguments"]["parameters"]
    }
    write_nodes = []
    for index in range(workers):
        parameters = write_inputs | {"worker-index": str(index)}
        write_nodes.append(_node(f"write(worker {index})", "write", parameters, kind="Retry", children=["pod-id"]))
        write_nodes.append(_node(f"write(worker {index})(0)", "write", parameters))
    others = [_node(n, n, {"run-id": "x" * 40, "store-url": "s3://bucket/prefix"}) for n in ("plan", "join", "outcome")]
    nodes = json.dumps(write_nodes + others)
    compressed = len(base64.b64encode(gzip.compress(nodes.encode())))
    print(
        f"status.nodes of a finished run: {len(write_nodes) + len(others)} nodes, {len(nodes)} bytes JSON "
        f"({len(nodes) / (len(write_nodes) + len(others)):.0f} per node), {compressed} bytes as Argo compresses them "
        "(status.compressedNodes: gzip, base64); Argo's limit for the whole object: 1 MB "
        "(1,048,576 bytes) unless compressed or offloaded"
    )
    stored = (
        len(json.dumps(workflow)) + len(json.dumps(template["spec"])) + compressed + sum(map(len, outputs.values()))
    )
    print(
        f"the finished Workflow object as etcd stores it (spec, stored template, compressed nodes, outputs): {stored} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", choices=("plan", "join", "argo"), default=["plan", "join", "argo"])
    parser.add_argument("--forks", nargs="+", type=int, default=list(FORKS))
    parser.add_argument("--root", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.root) as scratch:
        root = Path(scratch)
        if "plan" in args.sections:
            plan_section(root)
        if "join" in args.sections:
            join_section(root, args.forks)
        if "argo" in args.sections:
            argo_section()


if __name__ == "__main__":
    main()
