"""Benchmark results: a CSV plus JSON metadata in ``benchmarks/results/``, which the book shows.

Benchmarks compare our implementation with a peer measured in the same run; the
CSV holds the ratios, the metadata the device and versions they were measured with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from repro.core.artifacts import dumps
from repro.core.atomic import atomic_write_text
from repro.core.env import device_info, git_commit, package_versions
from repro.core.paths import repo_root


def results_dir() -> Path:
    """``benchmarks/results`` in the repository."""
    return repo_root() / "benchmarks" / "results"


def write_results(
    table: Any,
    name: str,
    *,
    title: str,
    description: str,
    parameters: dict[str, Any] | None = None,
    folder: Path | None = None,
) -> Path:
    """Write ``table`` (a DataFrame) to ``<name>.csv`` and its metadata to ``<name>.json``."""
    folder = folder or results_dir()
    path = atomic_write_text(folder / f"{name}.csv", table.to_csv(index=False, lineterminator="\n"))
    meta = {
        "title": title,
        "description": description,
        "parameters": parameters or {},
        "device": device_info(),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write_text(folder / f"{name}.json", dumps(meta))
    return path
