"""Execution cache: a notebook re-runs only when something it depends on changed.

The key of a notebook under a profile combines:

- ``source``: its cells' types, sources and tags (outputs and metadata ignored);
- ``parameters``: the resolved parameter values;
- ``lib``: the bytes of every ``repro`` module it imports, followed transitively
  through ``lib/repro`` (a change in an unrelated module does not invalidate it);
- ``inputs``: the bytes of the repository files the profile lists for it, and of every
  ``reported/*.csv`` when it imports :mod:`repro.core.reported`;
- ``data``: for data-manifest entries, the manifest record and each local file's
  size and modification time (hashing gigabytes on every build would be too slow).
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nbformat

from repro.core import manifests
from repro.core.paths import data_root, repo_root


def _digest_json(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def notebook_cells(path: Path) -> list[dict[str, Any]]:
    """The parts of a notebook that define what it computes."""
    nb = nbformat.read(path, as_version=4)
    return [
        {
            "type": cell.cell_type,
            "source": cell.source,
            "tags": sorted(cell.get("metadata", {}).get("tags", [])),
        }
        for cell in nb.cells
    ]


def _python_source(cell_source: str) -> str:
    """Drop IPython magics and shell escapes so that ``ast`` can parse a cell."""
    lines = [ln for ln in cell_source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def _imported_modules(source: str, package: str | None = None) -> set[str]:
    """Absolute names of the ``repro`` modules imported by ``source``.

    ``from repro.x import y`` yields both ``repro.x`` and ``repro.x.y`` (``y`` may be
    a submodule); names that are not modules are dropped by :func:`module_file`.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and package:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "repro" or name.startswith("repro.")}


def module_file(name: str, lib: Path) -> Path | None:
    """The file that defines module ``name`` under ``lib``, if it is one."""
    base = lib.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def lib_dependencies(sources: Iterable[str], lib: Path | None = None) -> list[Path]:
    """Every ``repro`` module file reachable from the given code, with parent packages."""
    lib = lib or repo_root() / "lib"
    pending = set().union(*(_imported_modules(_python_source(s)) for s in sources))
    seen: dict[str, Path] = {}
    while pending:
        name = pending.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
            prefix = ".".join(parts[:i])
            if prefix in seen:
                continue
            path = module_file(prefix, lib)
            if path is None:
                continue
            seen[prefix] = path
            package = prefix if path.name == "__init__.py" else prefix.rpartition(".")[0]
            pending |= _imported_modules(path.read_text(encoding="utf-8"), package) - set(seen)
    return sorted(set(seen.values()))


def file_digest(path: Path) -> str:
    """SHA-256 of a file, or a marker when it is missing (so that creating it invalidates)."""
    return manifests.file_sha256(path) if path.is_file() else "missing"


def cache_components(
    notebook: Path,
    parameters: Mapping[str, Any],
    inputs: Iterable[str] = (),
    data: Iterable[str] = (),
    root: Path | None = None,
    data_dir: Path | None = None,
) -> dict[str, str]:
    """Digest of each part of the cache key (so that a re-run can say what changed).

    ``data_dir`` is the folder the data entries are read from (default ``$REPRO_DATA_DIR``).
    """
    root = root or repo_root()
    cells = notebook_cells(notebook)
    code = [c["source"] for c in cells if c["type"] == "code"]
    lib = root / "lib"
    deps = lib_dependencies(code, lib)
    data = list(data)
    entries = manifests.load_all(root / "data_manifests") if data else {}
    inputs = list(inputs)
    if any(p.relative_to(lib).as_posix() == "repro/core/reported.py" for p in deps):
        # Reading the papers' numbers makes every transcribed CSV an input.
        inputs += sorted(p.relative_to(root).as_posix() for p in (root / "reported").glob("*.csv"))
    return {
        "source": _digest_json(cells),
        "parameters": _digest_json(dict(parameters)),
        "lib": _digest_json({str(p.relative_to(lib)): file_digest(p) for p in deps}),
        "inputs": _digest_json({name: file_digest(root / name) for name in inputs}),
        "data": _digest_json(manifests.fingerprint(data, entries, data_dir or data_root())),
    }


def cache_key(components: Mapping[str, str]) -> str:
    """One key from the component digests."""
    return _digest_json(dict(components))


def changed_components(old: Mapping[str, str] | None, new: Mapping[str, str]) -> list[str]:
    """Which parts of the key differ from the last run (all of them when there was none)."""
    if not old:
        return ["never run"]
    return [name for name in new if old.get(name) != new[name]]
