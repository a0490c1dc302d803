"""Execute one notebook with papermill, in a worker process.

The executed copy is written to a temporary name and renamed when papermill
returns, and artifacts go to a staging folder that the runner publishes only on
success: a run killed half-way leaves nothing the book would use.

The kernel talks to papermill over local IPC sockets instead of TCP: nothing listens
on a port, and ipykernel has no reason to print its "Kernel is running over TCP
without encryption" warning into the terminal of every ``repro build``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from jupyter_client.localinterfaces import localhost
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

from repro.core.artifacts import ARTIFACT_DIR_ENV, PROFILE_ENV
from repro.pipeline.progress import NotebookProgress

NOTEBOOK_ENV = "REPRO_NOTEBOOK"


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel listens on IPC sockets (files), not TCP ports.

    TCP on localhost is open to every local user, which is what ipykernel 7 warns about on
    stderr; IPC sockets are files in a private folder. jupyter_client would name them
    ``kernel-ipc-<n>`` in the working directory, so two kernels started in the same
    notebook folder at once (``-j 2``, Ray) could pick the same names: each manager gets
    its own temporary folder instead, removed with the manager. Windows has no IPC
    transport: TCP stays there.
    """

    @default("transport")
    def _default_transport(self) -> str:
        return "tcp" if os.name == "nt" else "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        if self.transport != "ipc":
            return localhost()
        self._socket_dir = tempfile.mkdtemp(prefix="repro-kernel-")  # mode 0700
        return os.path.join(self._socket_dir, "kernel")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        folder = getattr(self, "_socket_dir", None)
        if folder and not restart:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to execute one notebook (picklable)."""

    notebook_id: str
    source: Path
    output: Path
    staging: Path
    parameters: dict[str, Any]
    profile: str
    cwd: Path
    resources: dict[str, float] = field(default_factory=dict)
    timeout_s: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    #: "tty" (a live line), "log" (a line every ``progress_every_s``) or "off".
    progress: str = "off"
    progress_every_s: float = 30.0
    #: Wall time of the last successful run, shown beside the elapsed time.
    expected_s: float | None = None


@dataclass(frozen=True)
class JobResult:
    """What came back from a worker."""

    notebook_id: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str | None = None


def _error_summary(exc: BaseException) -> str:
    """One readable line for the status table (the full traceback is in the notebook)."""
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    line = f"{ename}: {evalue}".strip().splitlines()
    return line[0][:300] if line else ename


def run_job(job: Job) -> JobResult:
    """Execute ``job`` with papermill; never raises for a notebook error."""
    import papermill

    os.environ.update(
        {
            ARTIFACT_DIR_ENV: str(job.staging),
            PROFILE_ENV: job.profile,
            NOTEBOOK_ENV: job.notebook_id,
        }
    )
    os.environ.update(job.env)
    shutil.rmtree(job.staging, ignore_errors=True)
    job.staging.mkdir(parents=True, exist_ok=True)
    job.output.parent.mkdir(parents=True, exist_ok=True)
    partial = job.output.with_name(f".{job.output.stem}.partial.ipynb")
    start = time.perf_counter()
    error = None
    progress = NotebookProgress(job.notebook_id, job.progress, job.progress_every_s, job.expected_s)
    try:
        with progress:
            papermill.execute_notebook(
                str(job.source),
                str(partial),
                parameters=job.parameters,
                kernel_name="python3",
                cwd=str(job.cwd),
                progress_bar=False,
                execution_timeout=job.timeout_s,
                kernel_manager_class=IPCKernelManager,
                **progress.hooks(),
            )
    except Exception as exc:  # a failing notebook is a result, not a crash of the sweep
        error = _error_summary(exc)
        if not partial.exists():
            partial.write_text("", encoding="utf-8")
            error += f"\n{traceback.format_exc()}"
    if partial.exists():
        os.replace(partial, job.output)
    seconds = time.perf_counter() - start
    return JobResult(job.notebook_id, "failed" if error else "ok", round(seconds, 2), error)


class LocalExecutor:
    """Runs jobs in ``workers`` local processes (spawned, so each has a clean environment).

    A job that asks for GPUs gets that many ids from ``gpus`` in ``CUDA_VISIBLE_DEVICES``
    (its kernel inherits it) and waits while they are busy; with no GPUs given, it runs
    on the CPU. A worker process that dies is replaced and its job retried up to
    ``max_retries`` times, then reported as failed.
    """

    def __init__(self, workers: int = 1, gpus: Sequence[str] = (), max_retries: int = 1):
        self.workers = max(1, int(workers))
        self.gpus = [str(g) for g in gpus]
        self.max_retries = max_retries

    def _with_gpus(self, job: Job, free: list[str]) -> tuple[Job, list[str]] | None:
        wanted = int(job.resources.get("gpus", 0) or 0)
        if not self.gpus:
            return job, []
        if wanted == 0:  # hide the GPUs (worker processes are reused across jobs)
            return replace(job, env={**job.env, "CUDA_VISIBLE_DEVICES": ""}), []
        if wanted > len(self.gpus):
            raise ValueError(f"{job.notebook_id}: needs {wanted} GPUs, only {len(self.gpus)} given")
        if wanted > len(free):
            return None
        taken = [free.pop(0) for _ in range(wanted)]
        env = {**job.env, "CUDA_VISIBLE_DEVICES": ",".join(taken)}
        return replace(job, env=env), taken

    def run(
        self, jobs: Iterable[Job], on_start: Callable[[Job], None] | None = None
    ) -> Iterator[JobResult]:
        """Yield results as jobs finish."""
        queue = list(jobs)
        if not queue:
            return
        free = list(self.gpus)
        attempts: dict[str, int] = {}
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"))
        running: dict[Future[JobResult], tuple[Job, list[str]]] = {}
        try:
            while queue or running:
                for job in list(queue):
                    if len(running) >= self.workers:
                        break
                    placed = self._with_gpus(job, free)
                    if placed is None:
                        continue
                    queue.remove(job)
                    if on_start and job.notebook_id not in attempts:
                        on_start(placed[0])
                    attempts[job.notebook_id] = attempts.get(job.notebook_id, 0) + 1
                    running[pool.submit(run_job, placed[0])] = (job, placed[1])
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    job, taken = running.pop(future)
                    free.extend(taken)
                    try:
                        yield future.result()
                    except Exception as exc:  # the worker process itself died
                        broken = True
                        if attempts[job.notebook_id] <= self.max_retries:
                            queue.insert(0, job)
                        else:
                            note = f"worker crashed: {exc}"
                            yield JobResult(job.notebook_id, "failed", 0.0, note)
                if broken:  # a dead worker breaks the whole pool: replace it, requeue the rest
                    for future, (job, taken) in running.items():
                        future.cancel()
                        free.extend(taken)
                        queue.insert(0, job)
                    running.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = ProcessPoolExecutor(
                        max_workers=self.workers, mp_context=get_context("spawn")
                    )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def stderr_is_tty() -> bool:
    """Whether a live progress line would render (not in CI logs)."""
    return sys.stderr.isatty()
