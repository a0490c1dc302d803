"""Data manifests: what the paper tier needs and what the offline tier generates.

Each ``data_manifests/*.yaml`` holds ``entries:``, a list of records:

- ``kind: synthetic`` -- data the project generates: ``generator`` (``module:function``),
  ``parameters``, ``seed`` and the ``sha256`` that :func:`array_digest` of the
  generated arrays must have.
- ``kind: dataset | checkpoint | embeddings`` -- external inputs: ``source``,
  ``licence``, ``version``, ``size_bytes`` and ``files`` (``path`` under the data
  folder, ``url``, ``sha256`` or null when not known yet, ``size_bytes``).

Fetching verifies every file; an unknown checksum is recorded in the data
folder's lock file on first fetch and enforced afterwards, and each file's size in
``sizes.lock.json`` (disk planning). An existing good file is never overwritten and a
bad download never replaces anything. Downloads go through pooch and the Hugging Face
Hub client (:mod:`repro.core.fetchers`, :mod:`repro.core.hub`): resumable, with
progress and retries.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from repro.core.atomic import atomic_write_text
from repro.core.errors import InputError
from repro.core.paths import data_root, repo_root

KINDS = ("synthetic", "dataset", "checkpoint", "embeddings")
LOCK_NAME = "checksums.lock.json"
SIZES_NAME = "sizes.lock.json"  # path -> bytes, recorded at first fetch (disk planning)
CHUNK = 1 << 20


class ManifestError(InputError):
    """A manifest file is malformed; the message names the file and the field."""


class DataError(InputError):
    """A data file is missing, corrupt or could not be fetched; the message names it."""


@dataclass(frozen=True)
class FileSpec:
    """One file of an external entry (``extract: true`` unpacks a tar/zip next to it)."""

    path: str
    url: str | None
    sha256: str | None
    size_bytes: int | None
    extract: bool = False


@dataclass(frozen=True)
class Entry:
    """One manifest entry."""

    name: str
    kind: str
    manifest: Path
    description: str = ""
    used_by: tuple[str, ...] = ()
    files: tuple[FileSpec, ...] = ()
    generator: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    sha256: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


def manifest_dir() -> Path:
    """Folder of the manifests (``data_manifests/``)."""
    return repo_root() / "data_manifests"


def _require(record: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]):
    if key not in record:
        raise ManifestError(f"{where}: missing field '{key}'")
    value = record[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ManifestError(f"{where}: field '{key}' must be {names}, got {value!r}")
    return value


def _parse_file(record: Any, where: str) -> FileSpec:
    if not isinstance(record, Mapping):
        raise ManifestError(f"{where}: each file must be a mapping with 'path'")
    path = _require(record, "path", where, str)
    if Path(path).is_absolute() or ".." in Path(path).parts:
        raise ManifestError(f"{where}: field 'path' must be relative without '..', got {path!r}")
    sha = record.get("sha256")
    if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
        raise ManifestError(f"{where}: field 'sha256' must be 64 hex characters or null")
    return FileSpec(
        path, record.get("url"), sha, record.get("size_bytes"), bool(record.get("extract", False))
    )


def _parse_entry(record: Any, manifest: Path, index: int) -> Entry:
    where = f"{manifest.name}: entries[{index}]"
    if not isinstance(record, Mapping):
        raise ManifestError(f"{where}: must be a mapping")
    name = _require(record, "name", where, str)
    where = f"{manifest.name}: entry '{name}'"
    kind = _require(record, "kind", where, str)
    if kind not in KINDS:
        raise ManifestError(f"{where}: field 'kind' must be one of {KINDS}, got {kind!r}")
    used_by = tuple(record.get("used_by") or ())
    if kind == "synthetic":
        generator = _require(record, "generator", where, str)
        if ":" not in generator:
            raise ManifestError(f"{where}: field 'generator' must be 'module:function'")
        return Entry(
            name=name,
            kind=kind,
            manifest=manifest,
            description=str(record.get("description", "")),
            used_by=used_by,
            generator=generator,
            parameters=dict(record.get("parameters") or {}),
            seed=_require(record, "seed", where, int),
            sha256=record.get("sha256"),
            raw=dict(record),
        )
    files = _require(record, "files", where, list)
    return Entry(
        name=name,
        kind=kind,
        manifest=manifest,
        description=str(record.get("description", "")),
        used_by=used_by,
        files=tuple(_parse_file(f, f"{where}: files[{i}]") for i, f in enumerate(files)),
        raw=dict(record),
    )


def load_manifest(path: str | os.PathLike[str]) -> list[Entry]:
    """Parse one manifest file, raising :class:`ManifestError` naming file and field."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: malformed YAML: {exc}") from exc
    if not isinstance(doc, Mapping) or not isinstance(doc.get("entries"), list):
        raise ManifestError(f"{path}: expected a mapping with a list 'entries'")
    return [_parse_entry(rec, path, i) for i, rec in enumerate(doc["entries"])]


def load_all(folder: str | os.PathLike[str] | None = None) -> dict[str, Entry]:
    """Every entry of every ``*.yaml`` in ``folder`` (default ``data_manifests/``), by name."""
    entries: dict[str, Entry] = {}
    for path in sorted(Path(folder or manifest_dir()).glob("*.yaml")):
        for entry in load_manifest(path):
            if entry.name in entries:
                raise ManifestError(f"{path}: entry '{entry.name}' already defined")
            entries[entry.name] = entry
    return entries


def array_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over sorted keys, dtype, shape and C-order bytes of each array."""
    digest = hashlib.sha256()
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(key.encode())
        digest.update(str(array.dtype.str).encode())
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_generator(spec: str) -> Callable[..., Mapping[str, np.ndarray]]:
    """Import ``module:function``."""
    module_name, _, func_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), func_name)


def generate(entry: Entry) -> Mapping[str, np.ndarray]:
    """Run a synthetic entry's generator with its parameters and seed."""
    return resolve_generator(entry.generator or "")(**entry.parameters, seed=entry.seed)


def verify_synthetic(entry: Entry, arrays: Mapping[str, np.ndarray] | None = None) -> str:
    """Check generated data against the manifest's sha256; return the digest.

    Raises:
        DataError: when the digest differs from the recorded one.
    """
    digest = array_digest(arrays if arrays is not None else generate(entry))
    if entry.sha256 and digest != entry.sha256:
        raise DataError(
            f"{entry.manifest.name}: entry '{entry.name}': generated data has sha256 {digest}, "
            f"manifest expects {entry.sha256} (generator or parameters changed?)"
        )
    return digest


# ----------------------------------------------------------------------------- external files


def _lock_path(root: Path) -> Path:
    return root / LOCK_NAME


def read_json_file(path: Path, what: str, hint: str = "") -> Any:
    """The JSON document at ``path`` (``{}`` when missing); a one-line DataError if broken.

    Args:
        what: names the file in the error, e.g. "lock file".
        hint: what the user should do, appended to the error.
    """
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: {what} is not valid JSON ({exc}){hint}") from exc


def read_lock(root: Path) -> dict[str, str]:
    """Checksums recorded by earlier fetches (``path -> sha256``)."""
    data = read_json_file(_lock_path(root), "lock file")
    return {str(k): str(v) for k, v in data.items()}


def record_checksums(root: Path, checksums: Mapping[str, str | None]) -> None:
    """Record (or, for ``None``, forget) ``path -> sha256`` pairs in the lock file at once."""
    lock = read_lock(root)
    for rel_path, sha in checksums.items():
        if sha is None:
            lock.pop(rel_path, None)
        else:
            lock[rel_path] = sha
    atomic_write_text(_lock_path(root), json.dumps(lock, indent=2, sort_keys=True) + "\n")


def read_sizes(root: Path) -> dict[str, int]:
    """File sizes recorded at first fetch (``path -> bytes``); empty when none."""
    data = read_json_file(root / SIZES_NAME, "sizes file")
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


def record_sizes(root: Path, sizes: Mapping[str, int]) -> None:
    """Record ``path -> bytes`` pairs next to the lock file."""
    merged = {**read_sizes(root), **sizes}
    atomic_write_text(root / SIZES_NAME, json.dumps(merged, indent=2, sort_keys=True) + "\n")


def _record_lock(root: Path, rel_path: str, sha: str) -> None:
    record_checksums(root, {rel_path: sha})


def expected_sha(spec: FileSpec, root: Path) -> str | None:
    """The checksum a file must have: the manifest's, else the lock file's, else None."""
    return spec.sha256 or read_lock(root).get(spec.path)


def check_url(url: str) -> None:
    """Allow https, file:// and plain http to loopback only (used by tests)."""
    parts = urllib.parse.urlparse(url)
    if parts.scheme in {"https", "file"}:
        return
    if parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}:
        return
    raise DataError(f"{url}: refusing to download over '{parts.scheme}' (https only)")


def verify_file(spec: FileSpec, root: Path, entry_name: str = "") -> str:
    """Verify one local file; return ``"ok"``, ``"unverified"`` (no checksum known).

    Raises:
        DataError: when the file is missing or its checksum differs.
    """
    path = root / spec.path
    label = f"{entry_name}: {path}" if entry_name else str(path)
    if not path.is_file():
        raise DataError(f"{label}: missing (run `repro data fetch {entry_name}`)")
    expected = expected_sha(spec, root)
    if expected is None:
        return "unverified"
    actual = file_sha256(path)
    if actual != expected:
        raise DataError(f"{label}: sha256 {actual} does not match expected {expected}")
    return "ok"


def _pooch_retrieve(spec: FileSpec, target: Path, expected: str | None, label: str, **kw) -> None:
    """Download ``spec.url`` to ``target`` through pooch (verified before it is moved in)."""
    import pooch
    import requests

    from repro.core.fetchers import ResumableDownloader, TransferError

    pooch.get_logger().setLevel("WARNING")  # our one line per file is enough
    partial = target.with_name(f".{target.name}.part")
    try:
        pooch.retrieve(
            spec.url,
            known_hash=f"sha256:{expected}" if expected else None,
            fname=target.name,
            path=target.parent,
            downloader=ResumableDownloader(partial, **kw),
        )
    except ValueError as exc:  # pooch: the hash differs; its temporary file is deleted
        got = re.search(r"got ([0-9a-f]{64})", str(exc))
        actual = got.group(1) if got else "?"
        raise DataError(
            f"{label}: downloaded sha256 {actual} does not match {expected}; nothing replaced"
        ) from exc
    except TransferError as exc:  # "interrupted (...)" or "failed: ..."
        raise DataError(f"{label}: download from {spec.url} {exc}") from exc
    except (OSError, requests.RequestException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{label}: download from {spec.url} failed: {reason}") from exc


def fetch_file(spec: FileSpec, root: Path, entry_name: str = "", **download: Any) -> str:
    """Download one file unless a verified copy exists; return what happened.

    pooch downloads to a temporary file and moves it into place only after its
    checksum verifies, so a corrupt download never replaces anything; an interrupted
    transfer is kept as ``.<name>.part`` and resumed (``download``: options of
    :class:`repro.core.fetchers.ResumableDownloader`, e.g. ``retries``, ``progress``).
    """
    target = root / spec.path
    label = f"{entry_name}: {target}" if entry_name else str(target)
    if target.exists():
        status = verify_file(spec, root, entry_name)  # raises on mismatch: never overwrite
        if status == "unverified":
            _record_lock(root, spec.path, file_sha256(target))
            return "locked"
        return "present"
    if not spec.url:
        raise DataError(f"{label}: missing and the manifest gives no url; place it by hand")
    check_url(spec.url)
    target.parent.mkdir(parents=True, exist_ok=True)
    expected = expected_sha(spec, root)
    _pooch_retrieve(spec, target, expected, label, **download)
    record_sizes(root, {spec.path: target.stat().st_size})
    if expected is None:
        _record_lock(root, spec.path, file_sha256(target))
        return "fetched (checksum recorded in lock file)"
    return "fetched"


def bytes_needed(entries: Iterable[Entry], root: Path) -> tuple[int, int]:
    """(bytes of the missing files whose size is known, count of missing files of unknown size)."""
    sizes = read_sizes(root)
    known, unknown = 0, 0
    for entry in entries:
        for spec in entry.files:
            if (root / spec.path).exists():
                continue
            size = spec.size_bytes if spec.size_bytes is not None else sizes.get(spec.path)
            if size is None:
                unknown += 1
            else:
                known += size
    return known, unknown


def check_free_space(entries: Iterable[Entry], root: Path | None = None) -> None:
    """Refuse, with one line naming how much and where, when the data disk is too small.

    Raises:
        DataError: when the known sizes of the missing files exceed the free space.
    """
    import shutil

    base = root or data_root()
    needed, unknown = bytes_needed(list(entries), base)
    probe = base
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed > free:
        more = f" (+ {unknown} file(s) of unknown size)" if unknown else ""
        raise DataError(
            f"{base}: not enough free disk space: the fetch needs {needed / 1e9:.2f} GB{more}, "
            f"{free / 1e9:.2f} GB free; free space or set $REPRO_DATA_DIR / --data-dir"
        )


def _member_target(dest: Path, name: str, archive: Path) -> Path:
    """Where an archive member may go: inside ``dest``, never absolute or via ``..``."""
    if name.startswith(("/", "\\")) or Path(name).is_absolute() or ".." in Path(name).parts:
        raise DataError(f"{archive}: refusing archive member {name!r} (absolute path or '..')")
    return dest / name


def safe_extract(archive: Path, dest: Path) -> list[Path]:
    """Unpack a verified tar or zip archive into ``dest``.

    Every member is checked before anything is written: absolute paths, ``..``
    components, links and device files are refused (a malicious archive could
    otherwise write outside the data folder).
    """
    import tarfile
    import zipfile

    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            targets = [_member_target(dest, info.filename, archive) for info in zf.infolist()]
            zf.extractall(dest)
        return targets
    if not tarfile.is_tarfile(archive):
        raise DataError(f"{archive}: expected a tar or zip archive")
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        for member in members:
            _member_target(dest, member.name, archive)
            if not (member.isfile() or member.isdir()):
                raise DataError(f"{archive}: refusing archive member {member.name!r} (not a file)")
        tf.extractall(dest, filter="data")
    return [dest / m.name for m in members]


def fetch(
    entry: Entry, root: Path | None = None, hub_download: Any = None, **download: Any
) -> list[tuple[str, str]]:
    """Fetch every file of ``entry`` into the data folder; returns (path, status) pairs.

    Hugging Face files go through the Hub client at a pinned commit, others through
    pooch; a fetched archive (``extract: true``) is unpacked by :func:`safe_extract`.
    """
    from repro.core.hub import fetch_hub_files, parse_hub_url

    if entry.kind == "synthetic":
        return [(entry.name, "generated by notebooks; nothing to fetch")]
    base = root or data_root()
    hub = [f for f in entry.files if parse_hub_url(f.url) is not None]
    states = dict(fetch_hub_files(hub, base, entry.name, hub_download)) if hub else {}
    results = []
    for spec in entry.files:
        state = states.get(spec.path) or fetch_file(spec, base, entry.name, **download)
        if spec.extract and state.startswith("fetched"):
            archive = base / spec.path
            count = len(safe_extract(archive, archive.parent))
            state += f"; extracted {count} members"
        results.append((spec.path, state))
    return results


def verify(entry: Entry, root: Path | None = None) -> list[tuple[str, str]]:
    """Verify ``entry``: regenerate synthetic data, or check external files' checksums."""
    if entry.kind == "synthetic":
        return [(entry.name, f"ok ({verify_synthetic(entry)[:12]})")]
    base = root or data_root()
    return [(f.path, verify_file(f, base, entry.name)) for f in entry.files]


def fingerprint(names: Iterable[str], entries: Mapping[str, Entry], root: Path) -> dict[str, Any]:
    """A cheap, change-sensitive description of the data a notebook reads (for the cache).

    External files contribute (size, mtime) and their expected checksum; synthetic
    entries contribute their manifest record (generator, parameters, seed, sha256).
    """
    out: dict[str, Any] = {}
    for name in names:
        if name not in entries:
            raise ManifestError(f"data manifest entry '{name}' is not defined in data_manifests/")
        entry = entries[name]
        if entry.kind == "synthetic":
            out[name] = {k: entry.raw.get(k) for k in ("generator", "parameters", "seed", "sha256")}
            continue
        files = {}
        for spec in entry.files:
            path = root / spec.path
            stat = path.stat() if path.exists() else None
            files[spec.path] = {
                "sha256": spec.sha256,
                "size": stat.st_size if stat else None,
                "mtime_ns": stat.st_mtime_ns if stat else None,
            }
        out[name] = files
    return out
