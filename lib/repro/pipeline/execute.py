"""Execute one notebook with papermill, in a worker process.

The executed copy is written to a temporary name and renamed when papermill
returns, and artifacts go to a staging folder that the runner publishes only on
success: a run killed half-way leaves nothing the book would use.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from repro.core.artifacts import ARTIFACT_DIR_ENV, PROFILE_ENV

NOTEBOOK_ENV = "REPRO_NOTEBOOK"


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
    progress_bar: bool = False
    env: dict[str, str] = field(default_factory=dict)


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
    try:
        papermill.execute_notebook(
            str(job.source),
            str(partial),
            parameters=job.parameters,
            kernel_name="python3",
            cwd=str(job.cwd),
            progress_bar=job.progress_bar,
            execution_timeout=job.timeout_s,
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
    """Runs jobs in ``workers`` local processes (spawned, so each has a clean environment)."""

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))

    def run(
        self, jobs: Iterable[Job], on_start: Callable[[Job], None] | None = None
    ) -> Iterator[JobResult]:
        """Yield results as jobs finish."""
        jobs = list(jobs)
        if not jobs:
            return
        context = get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            queue = list(jobs)
            running: dict[Future[JobResult], Job] = {}
            while queue or running:
                while queue and len(running) < self.workers:
                    job = queue.pop(0)
                    if on_start:
                        on_start(job)
                    running[pool.submit(run_job, job)] = job
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    try:
                        yield future.result()
                    except Exception as exc:  # the worker process itself died
                        yield JobResult(job.notebook_id, "failed", 0.0, f"worker crashed: {exc}")


def stderr_is_tty() -> bool:
    """Whether progress bars would render (not in CI logs)."""
    return sys.stderr.isatty()
