"""Rehearsal data: tiny stand-ins, in the published formats, for the paper tier's inputs.

The paper tier needs datasets and checkpoints that CI cannot download. Each paper's
``repro.<paper>.standins.write_standins(data_dir, entries, seed=0) -> list[Path]`` writes
small files at the paths its data-manifest entries list; :func:`rehearse` calls them,
records each file's sha256 in the data folder's ``checksums.lock.json`` (the same lock
:func:`repro.core.manifests.fetch` fills on first fetch, so ``repro data verify`` checks
the stand-ins like downloaded files) and writes ``rehearsal.json`` (seed, writer module,
sha256 and size of every file) which marks the folder as stand-ins. The paper profile's
code paths then run end to end (``repro build --profile rehearsal``) without real data;
their numbers are never paper numbers.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.core import manifests
from repro.core.atomic import atomic_write_text
from repro.core.manifests import DataError, Entry, read_json_file
from repro.core.paths import build_root

#: Stand-in writer module per data-manifest file (its stem), imported only when needed.
STANDIN_MODULES: dict[str, str] = {
    "twlv_i": "repro.twlv.standins",
    "nash": "repro.nash.standins",
    "cr_ild": "repro.crild.standins",
}
WRITER = "write_standins"
RECORD_NAME = "rehearsal.json"

Writer = Callable[..., Sequence[Path]]


@dataclass
class Rehearsal:
    """What :func:`rehearse` did: files written per entry, entries skipped and why."""

    dest: Path
    files: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> list[str]:
        """One line for what was written and one per reason entries were skipped."""
        count = sum(len(files) for files in self.files.values())
        lines = [f"wrote {count} stand-in file(s) for {len(self.files)} entries into {self.dest}"]
        reasons: dict[str, list[str]] = {}
        for name, why in self.skipped.items():
            reasons.setdefault(why, []).append(name)
        lines += [f"skipped ({why}): {', '.join(names)}" for why, names in reasons.items()]
        return lines


def default_dest() -> Path:
    """Where ``repro data rehearse`` writes without ``--dest``: ``<build>/rehearsal/data``."""
    return build_root() / "rehearsal" / "data"


def read_record(dest: Path) -> dict[str, Any]:
    """The folder's ``rehearsal.json`` (empty when the folder holds no stand-ins)."""
    doc = read_json_file(
        Path(dest) / RECORD_NAME, "rehearsal record", "; delete the folder and rehearse"
    )
    return doc if isinstance(doc, dict) else {}


def _check_dest(dest: Path) -> None:
    """Refuse a folder with files that stand-ins did not write (it may hold real data)."""
    if dest.is_dir() and not (dest / RECORD_NAME).is_file():
        others = [p for p in dest.iterdir() if not p.name.startswith(".")]
        if others:
            raise DataError(
                f"{dest}: holds files not written by `repro data rehearse` (real data?); "
                "refusing to write stand-ins there (choose an empty --dest)"
            )


def load_writer(module_name: str) -> Writer | None:
    """``module.write_standins``, or None (with a warning) while the module does not exist."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    writer = getattr(module, WRITER, None)
    if not callable(writer):
        raise DataError(f"{module_name}: defines no function {WRITER}(data_dir, entries, seed)")
    return writer


def missing_entries(names: Iterable[str], entries: Mapping[str, Entry], dest: Path) -> list[str]:
    """External entries among ``names`` whose files are absent or fail their checksum."""
    missing = []
    for name in names:
        if name not in entries:
            raise manifests.ManifestError(f"no data-manifest entry named '{name}'")
        entry = entries[name]
        if entry.kind == "synthetic":
            continue
        try:
            states = [manifests.verify_file(spec, dest, name) for spec in entry.files]
        except DataError:
            missing.append(name)
            continue
        if "unverified" in states:
            missing.append(name)
    return missing


def _relative(path: Path, dest: Path, module_name: str) -> str:
    resolved = (dest / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
    if not resolved.is_relative_to(dest.resolve()) or not resolved.is_file():
        raise DataError(f"{module_name}.{WRITER}: returned {path}, not a file under {dest}")
    return resolved.relative_to(dest.resolve()).as_posix()


def _previous_files(group: Iterable[Entry], record: Mapping[str, Any]) -> list[str]:
    return [
        rel for e in group for rel in record.get("entries", {}).get(e.name, {}).get("files", [])
    ]


def _write_group(
    module_name: str, group: list[Entry], dest: Path, seed: int, record: dict[str, Any]
) -> list[str] | None:
    """Call one paper's writer for its entries; return the files written (None: no writer)."""
    writer = load_writer(module_name)
    if writer is None:
        return None
    for rel in _previous_files(group, record):  # written by an earlier rehearsal: ours to replace
        (dest / rel).unlink(missing_ok=True)
    returned = writer(dest, [e.name for e in group], seed=seed)
    written = list(dict.fromkeys(_relative(Path(p), dest, module_name) for p in returned))
    for entry in group:
        for spec in entry.files:
            if not (dest / spec.path).is_file():
                raise DataError(
                    f"{module_name}.{WRITER}: wrote no stand-in for entry '{entry.name}' "
                    f"file {spec.path} ({entry.manifest.name})"
                )
            if spec.path not in written:
                written.append(spec.path)
            if spec.extract:
                manifests.safe_extract(dest / spec.path, (dest / spec.path).parent)
    return written


def rehearse(
    names: Sequence[str],
    entries: Mapping[str, Entry],
    dest: Path | None = None,
    seed: int = 0,
    modules: Mapping[str, str] | None = None,
) -> Rehearsal:
    """Write stand-ins for the external entries ``names`` into ``dest`` and record checksums.

    Args:
        names: data-manifest entry names (synthetic ones are skipped: notebooks generate them).
        entries: every manifest entry by name (:func:`repro.core.manifests.load_all`).
        dest: the rehearsal data folder (default :func:`default_dest`).
        seed: passed to every writer, so the stand-ins are reproducible.
        modules: writer module per manifest stem (default :data:`STANDIN_MODULES`).

    Raises:
        DataError: ``dest`` holds other data, or a writer broke its contract.
    """
    dest = Path(dest or default_dest())
    modules = STANDIN_MODULES if modules is None else modules
    _check_dest(dest)
    dest.mkdir(parents=True, exist_ok=True)
    record = read_record(dest) or {"seed": seed, "entries": {}, "files": {}}
    record["seed"] = seed
    result = Rehearsal(dest)
    groups: dict[str, list[Entry]] = {}
    for name in dict.fromkeys(names):
        if name not in entries:
            raise manifests.ManifestError(f"no data-manifest entry named '{name}'")
        entry = entries[name]
        if entry.kind == "synthetic":
            result.skipped[name] = "synthetic: generated by the notebooks"
            continue
        groups.setdefault(entry.manifest.stem, []).append(entry)
    for stem, group in groups.items():
        module_name = modules.get(stem)
        previous = _previous_files(group, record)
        written = _write_group(module_name, group, dest, seed, record) if module_name else None
        if written is None:
            why = f"no stand-in writer {module_name or '(none registered)'} for {stem}.yaml yet"
            result.skipped.update({e.name: why for e in group})
            continue
        checksums = {rel: manifests.file_sha256(dest / rel) for rel in written}
        gone = {rel: None for rel in previous if rel not in checksums}
        manifests.record_checksums(dest, {**gone, **checksums})
        for rel in gone:
            record["files"].pop(rel, None)
        for rel, sha in checksums.items():
            record["files"][rel] = {"sha256": sha, "size_bytes": (dest / rel).stat().st_size}
        for entry in group:
            own = [f.path for f in entry.files]
            record["entries"][entry.name] = {"module": module_name, "files": own}
            result.files[entry.name] = own
        extra = [rel for rel in written if not any(rel in v for v in result.files.values())]
        if extra:  # e.g. an unpacked tree next to a tar: attribute to the group's first entry
            record["entries"][group[0].name]["files"] += extra
            result.files[group[0].name] += extra
    atomic_write_text(dest / RECORD_NAME, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return result
