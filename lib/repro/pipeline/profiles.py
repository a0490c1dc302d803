"""Profiles: named parameter sets for every notebook, one YAML file per profile.

A profile file looks like::

    name: smoke
    description: CI - every path runs, tiny sizes.
    defaults:                 # merged into every notebook entry
      resources: {cpus: 1, gpus: 0}
    data_dir: build/rehearsal/data   # optional: REPRO_DATA_DIR for the kernels
    rehearsal: true           # optional: stand-in data (see below)
    notebooks:                # in book order
      twlv_i/reported_tables:
        parameters: {}
        inputs: [reported/twlv_i.csv]   # repository files the notebook reads
        data: []                        # data-manifest entries it reads
        resources: {cpus: 1, gpus: 0}   # for the executors

``--profile`` takes one of the names in ``profiles/`` or a path to such a file.

``data_dir`` (optional) is the data folder the notebooks read (passed to their kernels
as ``REPRO_DATA_DIR``, and used by ``repro data verify --profile``): absolute, or
relative to the repository root, except that a leading ``build/`` means the build
folder (``$REPRO_BUILD_DIR`` when set), so rehearsal data moves with the build.
``rehearsal: true`` marks a rehearsal profile: its data folder holds stand-ins written
by ``repro data rehearse`` (``repro run`` writes missing ones first) and no artifact
it writes is labelled paper tier.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from repro.core.errors import InputError
from repro.core.paths import build_root, repo_root

PROFILE_KEYS = {"name", "description", "defaults", "notebooks", "data_dir", "rehearsal"}
ENTRY_KEYS = {"parameters", "inputs", "data", "resources", "timeout_s"}
DEFAULT_PROFILE = "local"


class ProfileError(InputError):
    """A profile is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class NotebookSpec:
    """How one notebook runs under a profile."""

    notebook_id: str
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    resources: dict[str, float] = field(default_factory=lambda: {"cpus": 1, "gpus": 0})
    timeout_s: int | None = None

    @property
    def paper(self) -> str:
        """The paper folder (``twlv_i``, ``nash``, ``cr_ild``)."""
        return self.notebook_id.split("/", 1)[0]

    def source_path(self, root: Path | None = None) -> Path:
        """The committed notebook this spec runs."""
        return (root or repo_root()) / "notebooks" / f"{self.notebook_id}.ipynb"


@dataclass(frozen=True)
class Profile:
    """A named set of notebook specs, in book order."""

    name: str
    path: Path
    description: str
    notebooks: dict[str, NotebookSpec]
    data_dir: Path | None = None
    rehearsal: bool = False

    def data_names(self, notebook_ids: Sequence[str] | None = None) -> list[str]:
        """Data-manifest entries the (given) notebooks read, in order, without repeats."""
        ids = self.notebooks if notebook_ids is None else notebook_ids
        return list(dict.fromkeys(name for nb in ids for name in self.notebooks[nb].data))


def profiles_dir() -> Path:
    """Folder of the named profiles."""
    return repo_root() / "profiles"


def available_profiles() -> list[str]:
    """Names of the profiles in ``profiles/``."""
    return sorted(p.stem for p in profiles_dir().glob("*.yaml"))


def resolve_profile_path(name_or_path: str) -> Path:
    """Map a profile name or a path to its YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or os.sep in name_or_path:
        if not candidate.is_file():
            raise ProfileError(f"{candidate}: profile file not found")
        return candidate.resolve()
    path = profiles_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(available_profiles())
        raise ProfileError(f"unknown profile '{name_or_path}' (known: {known}; or give a path)")
    return path


def _check_keys(mapping: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ProfileError(
            f"{where}: unknown field(s) {unknown}; expected some of {sorted(allowed)}"
        )


def _as_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _parse_entry(nb_id: str, raw: Any, defaults: Mapping[str, Any], path: Path) -> NotebookSpec:
    where = f"{path}: notebooks.{nb_id}"
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise ProfileError(f"{where}: expected a mapping, got {raw!r}")
    _check_keys(raw, ENTRY_KEYS, where)
    merged = {**defaults, **raw}
    params = merged.get("parameters") or {}
    if not isinstance(params, Mapping):
        raise ProfileError(f"{where}.parameters: expected a mapping, got {params!r}")
    resources = {"cpus": 1, "gpus": 0, **(merged.get("resources") or {})}
    for key, value in resources.items():
        if key not in {"cpus", "gpus"} or not isinstance(value, int | float) or value < 0:
            raise ProfileError(f"{where}.resources.{key}: expected cpus/gpus >= 0, got {value!r}")
    timeout = merged.get("timeout_s")
    if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
        raise ProfileError(f"{where}.timeout_s: expected a positive integer, got {timeout!r}")
    return NotebookSpec(
        notebook_id=nb_id,
        parameters=dict(params),
        inputs=_as_list(merged.get("inputs"), f"{where}.inputs"),
        data=_as_list(merged.get("data"), f"{where}.data"),
        resources=resources,
        timeout_s=timeout,
    )


def resolve_data_dir(value: Any, where: str) -> Path | None:
    """A profile's ``data_dir``: absolute, ``build/...`` in the build folder, else repo-relative."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{where}: field 'data_dir' must be a path string, got {value!r}")
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    if path.parts[0] == "build":
        return build_root().joinpath(*path.parts[1:])
    return repo_root() / path


def load_profile(name_or_path: str = DEFAULT_PROFILE) -> Profile:
    """Load and structurally validate a profile (parameters are checked by :mod:`params`)."""
    path = resolve_profile_path(name_or_path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProfileError(f"{path}: malformed YAML{at}: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise ProfileError(f"{path}: expected a mapping with 'name' and 'notebooks'")
    _check_keys(doc, PROFILE_KEYS, str(path))
    notebooks = doc.get("notebooks")
    if not isinstance(notebooks, Mapping) or not notebooks:
        raise ProfileError(f"{path}: field 'notebooks' must be a non-empty mapping")
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise ProfileError(f"{path}: field 'defaults' must be a mapping")
    _check_keys(defaults, ENTRY_KEYS - {"parameters"}, f"{path}: defaults")
    specs = {nb: _parse_entry(str(nb), raw, defaults, path) for nb, raw in notebooks.items()}
    rehearsal = doc.get("rehearsal", False)
    if not isinstance(rehearsal, bool):
        raise ProfileError(f"{path}: field 'rehearsal' must be true or false, got {rehearsal!r}")
    data_dir = resolve_data_dir(doc.get("data_dir"), str(path))
    if rehearsal and data_dir is None:
        raise ProfileError(f"{path}: a profile with 'rehearsal: true' needs a 'data_dir'")
    return Profile(
        name=str(doc.get("name") or path.stem),
        path=path,
        description=str(doc.get("description", "")),
        notebooks=specs,
        data_dir=data_dir,
        rehearsal=rehearsal,
    )
