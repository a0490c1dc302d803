"""``repro build|run --dry-run``: the jobs, their data and their cost, before anything runs.

Nothing executes and nothing is hashed: the plan reads the profile, each notebook's
parameters cell, the data manifests, the data folder's listing and the cost model
(:mod:`repro.pipeline.costmodel`), so it takes seconds on a machine with no data and
no GPU. :func:`plan_json` gives the same plan to schedulers.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from repro.core import manifests
from repro.core.paths import data_root, repo_root
from repro.pipeline.costmodel import CostModel, estimate_seconds, load_cost_model
from repro.pipeline.profiles import Profile


@dataclass(frozen=True)
class DataNeed:
    """One data-manifest entry a job reads, as found in the data folder."""

    name: str
    kind: str
    files: int
    size_bytes: int | None  # None: some file's size is unknown until first fetch
    state: str  # generated | missing | partial | present


@dataclass(frozen=True)
class Job:
    """One notebook run of the plan."""

    notebook_id: str
    changed: dict[str, Any]  # parameters that differ from the notebook's defaults
    resources: dict[str, float]
    data: list[DataNeed]
    units: float
    unit: str
    seconds: float  # estimated, on the job's device
    device: str  # gpu | cpu
    basis: str  # where the unit cost comes from

    @property
    def gpu_hours(self) -> float:
        return self.seconds * self.resources.get("gpus", 0) / 3600 if self.device == "gpu" else 0.0


@dataclass(frozen=True)
class Plan:
    """Every job of a profile with totals for ``workers`` parallel workers."""

    profile: str
    data_dir: str
    workers: int
    jobs: list[Job]
    gpu_speedup: float
    assumptions: list[str] = field(default_factory=list)

    @property
    def gpu_hours(self) -> float:
        return sum(j.gpu_hours for j in self.jobs)

    @property
    def cpu_hours(self) -> float:
        return sum(j.seconds for j in self.jobs if j.device == "cpu") / 3600

    @property
    def wall_seconds(self) -> float:
        return makespan([j.seconds for j in self.jobs], self.workers)

    def data(self) -> list[DataNeed]:
        """Every entry once, in job order."""
        return list({d.name: d for j in self.jobs for d in j.data}.values())

    @property
    def data_bytes(self) -> int:
        return sum(d.size_bytes or 0 for d in self.data())

    @property
    def data_unknown(self) -> int:
        return sum(1 for d in self.data() if d.size_bytes is None and d.kind != "synthetic")


def makespan(seconds: Sequence[float], workers: int) -> float:
    """Wall time of jobs on ``workers`` workers, longest job first to the least-loaded one."""
    loads = [0.0] * max(1, workers)
    for s in sorted(seconds, reverse=True):
        heapq.heapreplace(loads, loads[0] + s)
    return max(loads)


def _file_size(spec: manifests.FileSpec, root: Path, sizes: Mapping[str, int]) -> int | None:
    path = root / spec.path
    if path.is_file():
        return path.stat().st_size
    return spec.size_bytes if spec.size_bytes is not None else sizes.get(spec.path)


def data_need(entry: manifests.Entry, root: Path) -> DataNeed:
    """Size and presence of one entry under ``root``; never reads file contents."""
    if entry.kind == "synthetic":
        return DataNeed(entry.name, entry.kind, 0, 0, "generated")
    sizes = manifests.read_sizes(root)
    per_file = [_file_size(f, root, sizes) for f in entry.files]
    total = None if any(s is None for s in per_file) else sum(s or 0 for s in per_file)
    if total is None and isinstance(entry.raw.get("size_bytes"), int):
        total = int(entry.raw["size_bytes"])
    present = sum((root / f.path).is_file() for f in entry.files)
    state = "present" if present == len(entry.files) else "partial" if present else "missing"
    return DataNeed(entry.name, entry.kind, len(entry.files), total, state)


def make_plan(
    profile: Profile,
    workers: int = 1,
    only: Sequence[str] = (),
    overrides: Iterable[str] = (),
    cost_model: CostModel | None = None,
    root: Path | None = None,
    entries: Mapping[str, manifests.Entry] | None = None,
) -> Plan:
    """The plan of ``profile``: validates parameters like ``repro run``, runs nothing."""
    from repro.pipeline.params import declared_parameters
    from repro.pipeline.runner import resolve_parameters, select

    root = root or repo_root()
    model = cost_model or load_cost_model()
    entries = entries if entries is not None else manifests.load_all()
    data_dir = profile.data_dir or data_root()
    specs = select(profile, only)
    resolved = resolve_parameters(specs, overrides, root)
    jobs = []
    for spec in specs:
        declared = declared_parameters(spec.source_path(root))
        params = {**declared, **resolved[spec.notebook_id]}
        changed = {k: v for k, v in resolved[spec.notebook_id].items() if declared.get(k) != v}
        cost = model.notebooks.get(spec.notebook_id)
        gpus = spec.resources.get("gpus", 0)
        units, seconds = estimate_seconds(cost, params, model, gpus, profile.rehearsal)
        missing = [n for n in spec.data if n not in entries]
        if missing:
            raise manifests.ManifestError(
                f"{profile.path}: notebooks.{spec.notebook_id}.data: "
                f"no manifest entry {missing[0]!r}"
            )
        jobs.append(
            Job(
                notebook_id=spec.notebook_id,
                changed=changed,
                resources=dict(spec.resources),
                data=[data_need(entries[n], data_dir) for n in spec.data],
                units=units,
                unit=cost.unit if cost else "-",
                seconds=seconds,
                device="gpu" if gpus > 0 else "cpu",
                basis=cost.measured if cost else "no cost model entry: overhead only",
            )
        )
    assumptions = [f"GPU speed-up x{model.gpu_speedup:g}: {model.gpu_note}"] + [
        f"{c.notebook_id}: paper_scale {c.paper_scale}: {c.paper_scale_note}"
        for c in model.notebooks.values()
        if c.paper_scale_note and c.notebook_id in {j.notebook_id for j in jobs}
    ]
    return Plan(profile.name, str(data_dir), workers, jobs, model.gpu_speedup, assumptions)


def human_bytes(size: int | None) -> str:
    """``1.5 GB`` style (decimal units); ``?`` when unknown."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def human_seconds(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.4 h``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _data_cell(need: DataNeed) -> str:
    if need.state == "generated":
        return f"{need.name} (generated)"
    return f"{need.name} ({human_bytes(need.size_bytes)}, {need.state})"


def format_plan(plan: Plan) -> str:
    """The plan as text: one block per job, then totals and the assumptions."""
    lines = [f"Plan for profile '{plan.profile}' (dry run: nothing runs); data {plan.data_dir}"]
    for job in plan.jobs:
        res = ", ".join(f"{k} {v:g}" for k, v in job.resources.items())
        lines.append(
            f"\n{job.notebook_id}  [{res}]  ~{human_seconds(job.seconds)} on {job.device}"
            f"  ({job.units:.3g} {job.unit})"
        )
        if job.changed:
            shown = ", ".join(f"{k}={v!r}" for k, v in job.changed.items())
            lines.append(f"  parameters: {shown}")
        for need in job.data:
            lines.append(f"  data: {_data_cell(need)}")
    unknown = f" + {plan.data_unknown} entries of unknown size" if plan.data_unknown else ""
    lines += [
        "",
        f"Totals: {len(plan.jobs)} jobs, {plan.gpu_hours:.2f} GPU-hours, "
        f"{plan.cpu_hours:.2f} CPU-job hours, wall time ~{human_seconds(plan.wall_seconds)} "
        f"with {plan.workers} worker(s)",
        f"Data: {human_bytes(plan.data_bytes)}{unknown}; "
        f"missing: {sum(d.state in {'missing', 'partial'} for d in plan.data())} entries",
        "Assumptions (not measured on a GPU):",
        *[f"  - {a}" for a in plan.assumptions],
    ]
    return "\n".join(lines)


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (same numbers as :func:`format_plan`)."""
    return {
        "profile": plan.profile,
        "data_dir": plan.data_dir,
        "workers": plan.workers,
        "jobs": [
            {**asdict(j), "gpu_hours": j.gpu_hours, "data": [asdict(d) for d in j.data]}
            for j in plan.jobs
        ],
        "totals": {
            "jobs": len(plan.jobs),
            "gpu_hours": plan.gpu_hours,
            "cpu_hours": plan.cpu_hours,
            "wall_seconds": plan.wall_seconds,
            "data_bytes_known": plan.data_bytes,
            "data_entries_unknown_size": plan.data_unknown,
        },
        "gpu_speedup": plan.gpu_speedup,
        "assumptions": plan.assumptions,
    }


def plan_markdown(plan: Plan) -> str:
    """A Markdown table of the plan for the book (jobs, data, estimated GPU-hours)."""
    rows = [
        "| notebook | device | data (size, state) | estimated time | GPU-hours |",
        "|---|---|---|---:|---:|",
    ]
    for job in plan.jobs:
        data = "<br>".join(_data_cell(d) for d in job.data) or "-"
        rows.append(
            f"| `{job.notebook_id}` | {job.device} | {data} | {human_seconds(job.seconds)} "
            f"| {job.gpu_hours:.2f} |"
        )
    unknown = f" plus {plan.data_unknown} entries of unknown size" if plan.data_unknown else ""
    rows.append(
        f"| **total** ({len(plan.jobs)} jobs) | | {human_bytes(plan.data_bytes)}{unknown} "
        f"| {human_seconds(plan.wall_seconds)} on {plan.workers} worker(s) "
        f"| {plan.gpu_hours:.2f} |"
    )
    return "\n".join(rows)


def dumps(plan: Plan) -> str:
    """:func:`plan_json` as indented JSON text."""
    return json.dumps(plan_json(plan), indent=2, default=str)


PLAN_PROFILE = "paper"


def plan_page(profile_name: str = PLAN_PROFILE) -> str:
    """The book's generated "Cost of the paper tier" page (``plan.md``).

    Written from the same plan as ``repro build --profile paper --dry-run``; if the
    plan cannot be made (a profile or cost model missing), the page says why.
    """
    from repro.core.errors import InputError
    from repro.pipeline.profiles import load_profile

    lines = [
        "# Cost of the paper tier",
        "",
        f"Generated from `repro build --profile {profile_name} --dry-run` when the book was built "
        "(the same plan as JSON: add `--json`). Times come from the cost model "
        "`benchmarks/cost_model.yaml`: unit costs measured on a 2-core CPU, scaled by each "
        "notebook's sizes; a job that asks for a GPU is assumed faster by the stated factor. "
        "Data sizes are those in the manifests or recorded at first fetch (`?` until known); "
        "the state is that of the data folder of the machine that built this book.",
        "",
    ]
    try:
        plan = make_plan(load_profile(profile_name))
    except InputError as exc:
        return "\n".join([*lines, f"No plan could be made: {exc}", ""])
    lines += [
        plan_markdown(plan),
        "",
        "## Assumptions",
        "",
        "None of these is measured on a GPU yet:",
        "",
        *[f"- {a}" for a in plan.assumptions],
        "",
    ]
    return "\n".join(lines)
