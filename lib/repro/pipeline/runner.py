"""Plan and run the notebooks of a profile: validate, consult the cache, execute, publish."""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from repro.core.artifacts import REHEARSAL_ENV
from repro.core.paths import DATA_ENV, repo_root
from repro.pipeline import cache
from repro.pipeline.execute import Job, JobResult, LocalExecutor, stderr_is_tty
from repro.pipeline.layout import BuildFolderError, Layout
from repro.pipeline.lock import folder_lock
from repro.pipeline.params import ParameterError, parse_override, validate_parameters
from repro.pipeline.profiles import NotebookSpec, Profile, load_profile
from repro.pipeline.progress import format_seconds

log = logging.getLogger("repro")


@dataclass
class Planned:
    """A notebook with its resolved parameters and cache key."""

    spec: NotebookSpec
    parameters: dict[str, Any]
    components: dict[str, str]
    key: str
    reason: list[str] = field(default_factory=list)
    cached: bool = False


@dataclass
class Outcome:
    """One row of the status table."""

    notebook_id: str
    status: str  # ok | failed | cached
    seconds: float
    executed: Path
    note: str = ""


def select(profile: Profile, only: Sequence[str] = ()) -> list[NotebookSpec]:
    """Notebooks of ``profile`` matching any ``--only`` glob (all when none given)."""
    specs = list(profile.notebooks.values())
    if not only:
        return specs
    for pattern in only:
        if not any(fnmatch.fnmatch(s.notebook_id, pattern) for s in specs):
            raise ParameterError(
                f"--only {pattern!r} matches no notebook of profile '{profile.name}'"
            )
    return [s for s in specs if any(fnmatch.fnmatch(s.notebook_id, p) for p in only)]


def resolve_parameters(
    specs: Sequence[NotebookSpec], overrides: Iterable[str], root: Path
) -> dict[str, dict[str, Any]]:
    """Profile parameters plus ``-p`` overrides, validated against each notebook."""
    from repro.pipeline.params import declared_parameters

    resolved = {s.notebook_id: dict(s.parameters) for s in specs}
    declared = {s.notebook_id: declared_parameters(s.source_path(root)) for s in specs}
    for text in overrides:
        scope, name, value = parse_override(text)
        targets = [
            s
            for s in specs
            if (scope is None or fnmatch.fnmatch(s.notebook_id, scope))
            and name in declared[s.notebook_id]
        ]
        if not targets:
            raise ParameterError(f"-p {text!r}: no selected notebook declares parameter '{name}'")
        for spec in targets:
            resolved[spec.notebook_id][name] = value
    for spec in specs:
        validate_parameters(
            spec.notebook_id,
            spec.source_path(root),
            resolved[spec.notebook_id],
            declared[spec.notebook_id],
        )
    return resolved


def plan(
    profile: Profile,
    layout: Layout,
    only: Sequence[str] = (),
    overrides: Iterable[str] = (),
    force: bool = False,
    root: Path | None = None,
) -> list[Planned]:
    """Validate everything and decide which notebooks must execute. Runs nothing."""
    root = root or repo_root()
    specs = select(profile, only)
    resolved = resolve_parameters(specs, overrides, root)
    status = layout.read_status()
    planned = []
    for spec in specs:
        params = resolved[spec.notebook_id]
        components = cache.cache_components(
            spec.source_path(root), params, spec.inputs, spec.data, root, profile.data_dir
        )
        key = cache.cache_key(components)
        last = status.get(spec.notebook_id, {})
        fresh = (
            not force
            and last.get("status") == "ok"
            and last.get("key") == key
            and layout.executed(spec.notebook_id).is_file()
            and layout.artifacts(spec.notebook_id).is_dir()
        )
        reason = (
            []
            if fresh
            else (
                ["forced"]
                if force
                else cache.changed_components(
                    last.get("components") if last.get("status") == "ok" else None, components
                )
            )
        )
        planned.append(Planned(spec, params, components, key, reason, cached=fresh))
    return planned


def last_seconds(record: dict[str, Any] | None) -> float | None:
    """Wall time of the last successful run in ``status.json``, if any."""
    if record and record.get("status") == "ok" and record.get("seconds"):
        return float(record["seconds"])
    return None


def _job(
    item: Planned,
    profile: Profile,
    layout: Layout,
    root: Path,
    workers: int,
    env: dict[str, str],
    expected_s: float | None = None,
) -> Job:
    nb = item.spec.notebook_id
    source = item.spec.source_path(root)
    return Job(
        notebook_id=nb,
        source=source,
        output=layout.executed(nb),
        staging=layout.staging(nb),
        parameters=item.parameters,
        profile=profile.name,
        cwd=source.parent,  # the notebook's own folder, as in JupyterLab
        resources=item.spec.resources,
        timeout_s=item.spec.timeout_s,
        env=env,
        progress="tty" if workers == 1 and stderr_is_tty() else "log",
        expected_s=expected_s,
    )


def run_profile(
    profile_name: str,
    only: Sequence[str] = (),
    overrides: Iterable[str] = (),
    workers: int = 1,
    force: bool = False,
    executor: Any = None,
    layout: Layout | None = None,
    root: Path | None = None,
    kernel_env: dict[str, str] | None = None,
) -> list[Outcome]:
    """Execute what changed, publish artifacts, record status; return the status rows.

    ``root`` (default: this repository) holds ``notebooks/``, ``lib/`` and
    ``data_manifests/``; ``kernel_env`` adds environment variables for the kernels.
    """
    root = root or repo_root()
    profile = load_profile(profile_name)
    layout = layout or Layout.for_profile(profile.name)
    layout.ensure_writable()
    for nb in layout.recover():
        log.warning("%s: restored the artifacts an interrupted publish had set aside", nb)
    if profile.rehearsal:
        ensure_standins(profile, select(profile, only), root)
    planned = plan(profile, layout, only, overrides, force, root)
    status = layout.read_status()
    outcomes: dict[str, Outcome] = {}
    for item in planned:
        if item.cached:
            outcomes[item.spec.notebook_id] = Outcome(
                item.spec.notebook_id, "cached", 0.0, layout.executed(item.spec.notebook_id)
            )
    todo = [p for p in planned if not p.cached]
    by_id = {p.spec.notebook_id: p for p in todo}
    total = len(todo)
    started = {"n": 0}

    def on_start(job: Job) -> None:
        started["n"] += 1
        why = ", ".join(by_id[job.notebook_id].reason)
        last = f"; last run {format_seconds(job.expected_s)}" if job.expected_s else ""
        log.info("[%d/%d] running %s (%s%s)", started["n"], total, job.notebook_id, why, last)

    executor = executor or LocalExecutor(workers)
    env = {**profile_env(profile), **(kernel_env or {})}
    jobs = [
        _job(p, profile, layout, root, workers, env, last_seconds(status.get(p.spec.notebook_id)))
        for p in todo
    ]
    for result in executor.run(jobs, on_start=on_start):
        outcomes[result.notebook_id] = _record(result, by_id[result.notebook_id], layout, status)
        layout.write_status(profile.name, status)
        row = outcomes[result.notebook_id]
        log.info("%s %s in %.1f s", result.notebook_id, row.status, row.seconds)
    return [outcomes[p.spec.notebook_id] for p in planned]


def profile_env(profile: Profile) -> dict[str, str]:
    """Environment the profile gives every kernel: its data folder, its rehearsal mark."""
    env = {DATA_ENV: str(profile.data_dir)} if profile.data_dir else {}
    if profile.rehearsal:
        env[REHEARSAL_ENV] = "1"
    return env


def ensure_standins(profile: Profile, specs: Sequence[NotebookSpec], root: Path) -> None:
    """Write the rehearsal stand-ins the selected notebooks read, where missing or stale."""
    from repro.core import manifests, rehearse

    names = profile.data_names([s.notebook_id for s in specs])
    if not names or profile.data_dir is None:
        return
    entries = manifests.load_all(root / "data_manifests")
    missing = rehearse.missing_entries(names, entries, profile.data_dir)
    if missing:
        log.info(
            "writing stand-ins for %d data entr%s into %s (as `repro data rehearse`)",
            len(missing),
            "y" if len(missing) == 1 else "ies",
            profile.data_dir,
        )
        with folder_lock(profile.data_dir):
            done = rehearse.rehearse(missing, entries, profile.data_dir)
        first, *skipped = done.summary()
        log.info("%s", first)
        for line in skipped:
            log.warning("%s", line)


def _record(result: JobResult, item: Planned, layout: Layout, status: dict[str, Any]) -> Outcome:
    nb = result.notebook_id
    if result.status == "ok":
        try:
            layout.publish(nb)
        except (OSError, BuildFolderError) as exc:  # never record ok without artifacts
            result = replace(result, status="failed", error=f"publishing artifacts failed: {exc}")
            layout.withdraw(nb)
    else:
        layout.withdraw(nb)
    status[nb] = {
        "status": result.status,
        "seconds": result.seconds,
        "key": item.key,
        "components": item.components,
        "parameters": item.parameters,
        "executed": str(layout.executed(nb)),
        "error": result.error,
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    note = "" if result.status == "ok" else f"{(result.error or '').splitlines()[0]}"
    return Outcome(nb, result.status, result.seconds, layout.executed(nb), note)


def format_table(outcomes: Sequence[Outcome], root: Path | None = None) -> str:
    """The status table printed at the end of ``repro run`` / ``repro build``."""
    root = root or repo_root()
    rows = [("notebook", "status", "seconds", "executed copy / note")]
    for o in outcomes:
        where = o.executed.relative_to(root) if o.executed.is_relative_to(root) else o.executed
        extra = f"{where}" + (f"  <- {o.note}" if o.note else "")
        rows.append(
            (o.notebook_id, o.status, f"{o.seconds:.1f}", extra if o.status == "failed" else "")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}".rstrip()
        for r in rows
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)
