"""Run notebook jobs on a Ray cluster (optional extra: ``pip install -r requirements-ray.txt``).

Each job asks Ray for the CPUs and GPUs its profile declares; Ray sets
``CUDA_VISIBLE_DEVICES`` for a task that holds GPUs, and the notebook's kernel
inherits it. The worker executes the notebook in a private temporary folder and
returns the executed notebook and its artifacts as bytes, so the cluster needs no
shared filesystem: the driver writes them into the build folder. A notebook error
comes back as a failed result; a crashed worker is retried ``max_retries`` times by
Ray, then reported as failed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from repro.core.atomic import atomic_write_bytes
from repro.pipeline.execute import Job, JobResult, run_job

NOTEBOOK_KEY = "__executed__.ipynb"


def run_job_collect(job: Job, source: bytes) -> tuple[JobResult, dict[str, bytes]]:
    """Execute ``job`` in a temporary folder; return its result and output files as bytes."""
    with tempfile.TemporaryDirectory(prefix="repro-") as tmp:
        folder = Path(tmp)
        src = folder / "source.ipynb"
        src.write_bytes(source)
        local = replace(
            job,
            source=src,
            output=folder / "executed.ipynb",
            staging=folder / "artifacts",
            cwd=job.cwd if job.cwd.is_dir() else folder,
        )
        result = run_job(local)
        files = {
            str(p.relative_to(local.staging)): p.read_bytes()
            for p in sorted(local.staging.rglob("*"))
            if p.is_file()
        }
        if local.output.is_file():
            files[NOTEBOOK_KEY] = local.output.read_bytes()
        return result, files


def write_back(job: Job, files: Mapping[str, bytes]) -> None:
    """Place a remote job's executed notebook and artifacts where the runner expects them."""
    import shutil

    shutil.rmtree(job.staging, ignore_errors=True)
    job.staging.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        target = job.output if rel == NOTEBOOK_KEY else job.staging / rel
        atomic_write_bytes(target, data)


class RayExecutor:
    """Submit each job as a Ray task with the resources its profile declares."""

    def __init__(
        self,
        address: str | None = None,
        max_retries: int = 2,
        init_kwargs: Mapping[str, Any] | None = None,
    ):
        self.address = address
        self.max_retries = max_retries
        self.init_kwargs = dict(init_kwargs or {})

    def _ray(self):
        # Stay on loopback unless a cluster address is given (set before importing ray).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError(
                "--executor ray needs Ray: pip install -r requirements-ray.txt"
            ) from exc
        if not ray.is_initialized():
            if self.address in (None, "local"):
                # In-process cluster; "local" avoids attaching to a stale cluster file.
                kwargs = {
                    "include_dashboard": False,
                    "log_to_driver": False,
                    "object_store_memory": 10**8,
                    **self.init_kwargs,
                }
                ray.init(address="local", **kwargs)
            else:
                ray.init(address=self.address, log_to_driver=False, **self.init_kwargs)
        return ray

    def run(
        self, jobs: Iterable[Job], on_start: Callable[[Job], None] | None = None
    ) -> Iterator[JobResult]:
        """Submit every job at once; Ray queues them by resources. Yield results as they end."""
        ray = self._ray()
        task = ray.remote(run_job_collect)
        pending: dict[Any, Job] = {}
        for job in jobs:
            options = {
                "num_cpus": float(job.resources.get("cpus", 1)),
                "num_gpus": float(job.resources.get("gpus", 0)),
                "max_retries": self.max_retries,
                "retry_exceptions": False,
            }
            if on_start:
                on_start(job)
            pending[task.options(**options).remote(job, job.source.read_bytes())] = job
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    result, files = ray.get(ref)
                except Exception as exc:  # worker crashed beyond retries, or task error
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    note = f"{type(exc).__name__}: {first}"
                    yield JobResult(job.notebook_id, "failed", 0.0, note)
                    continue
                write_back(job, files)
                yield result
