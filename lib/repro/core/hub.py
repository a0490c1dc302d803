"""Hugging Face Hub files of the data manifests, at a pinned commit.

A manifest file whose url is ``https://huggingface.co/[datasets/]<org>/<name>/resolve/
<revision>/<file>`` is fetched with :func:`huggingface_hub.snapshot_download` (resumable,
with its own progress bars), never by URL: at the manifest's revision when it is a
commit hash, else at the commit the revision (e.g. ``main``) resolves to at first fetch,
which is recorded in the data folder's lock file, reported as UNPINNED, and used by
every later fetch. Files are staged, verified against the manifest's or lock's SHA-256,
and only then moved into place; a present file is verified and kept.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.core import manifests

COMMIT = re.compile(r"^[0-9a-f]{40}$")
HF_HOST = "huggingface.co"


@dataclass(frozen=True)
class HubFile:
    """A file on the Hugging Face Hub, parsed from its ``resolve`` URL."""

    repo_id: str
    repo_type: str  # model | dataset
    revision: str
    filename: str

    @property
    def pinned(self) -> bool:
        return bool(COMMIT.match(self.revision))

    @property
    def lock_key(self) -> str:
        """Lock-file key under which the resolved commit of an unpinned revision is kept."""
        return f"hf-revision:{self.repo_type}:{self.repo_id}@{self.revision}"


def parse_hub_url(url: str | None) -> HubFile | None:
    """``HubFile`` for ``https://huggingface.co/[datasets/]<org>/<name>/resolve/<rev>/<file>``."""
    if not url:
        return None
    parts = urllib.parse.urlparse(url)
    if parts.hostname != HF_HOST:
        return None
    segments = [urllib.parse.unquote(s) for s in parts.path.strip("/").split("/")]
    repo_type = "model"
    if segments and segments[0] == "datasets":
        repo_type, segments = "dataset", segments[1:]
    if len(segments) < 5 or segments[2] != "resolve":
        return None
    return HubFile("/".join(segments[:2]), repo_type, segments[3], "/".join(segments[4:]))


#: ``(repo_id, repo_type, revision, filenames, dest) -> resolved commit``; tests inject one.
HubDownload = Callable[[str, str, str, Sequence[str], Path], str]


def hub_download(
    repo_id: str, repo_type: str, revision: str, filenames: Sequence[str], dest: Path
) -> str:
    """Download ``filenames`` of a Hub repo at ``revision`` into ``dest``; return the commit.

    An unpinned revision (a branch or tag) is resolved to its commit first, and the
    files are fetched at that commit, so the files and the recorded commit agree.
    """
    from huggingface_hub import HfApi, snapshot_download

    commit = revision
    if not COMMIT.match(revision):
        commit = HfApi().repo_info(repo_id, repo_type=repo_type, revision=revision).sha
    snapshot_download(
        repo_id,
        repo_type=repo_type,
        revision=commit,
        allow_patterns=list(filenames),
        local_dir=dest,
    )
    return commit


def fetch_hub_files(
    specs: list[manifests.FileSpec], root: Path, entry_name: str, download: Any = None
) -> list[tuple[str, str]]:
    """Fetch Hugging Face files of one entry at a pinned commit (see the module docstring).

    Files are downloaded into a staging folder, verified, then moved into place; a
    present file is verified and kept as :func:`fetch_file` does. ``download`` replaces
    :func:`hub_download` (tests).
    """
    download = download or hub_download
    results: list[tuple[str, str]] = []
    todo: dict[tuple[str, str, str], list[tuple[manifests.FileSpec, Any]]] = {}
    for spec in specs:
        if (root / spec.path).exists():
            results.append((spec.path, manifests.fetch_file(spec, root, entry_name)))
            continue
        hub = parse_hub_url(spec.url)
        todo.setdefault((hub.repo_id, hub.repo_type, hub.revision), []).append((spec, hub))
    lock = manifests.read_lock(root)
    for (repo_id, repo_type, revision), files in todo.items():
        hub = files[0][1]
        pinned = hub.pinned or hub.lock_key in lock
        commit_wanted = revision if hub.pinned else lock.get(hub.lock_key, revision)
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix=".hub-") as staging:
            try:
                commit = download(
                    repo_id, repo_type, commit_wanted, [h.filename for _, h in files], Path(staging)
                )
            except Exception as exc:  # the Hub client raises many types; one line each
                raise manifests.DataError(
                    f"{entry_name}: {repo_type} {repo_id}@{commit_wanted}: download failed: "
                    f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                ) from exc
            for spec, h in files:
                target = root / spec.path
                label = f"{entry_name}: {target}"
                got = Path(staging) / h.filename
                if not got.is_file():
                    raise manifests.DataError(f"{label}: not in {repo_id}@{commit}")
                actual = manifests.file_sha256(got)
                expected = manifests.expected_sha(spec, root)
                if expected is not None and actual != expected:
                    raise manifests.DataError(
                        f"{label}: downloaded sha256 {actual} does not match {expected}; "
                        "nothing replaced"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(got, target)
                manifests.record_sizes(root, {spec.path: target.stat().st_size})
                state = "fetched"
                if expected is None:
                    manifests._record_lock(root, spec.path, actual)
                    state += " (checksum recorded in lock file)"
                if not pinned:
                    state += f"; UNPINNED revision '{revision}' resolved to {commit} (locked)"
                results.append((spec.path, state))
        if not pinned:
            manifests.record_checksums(root, {hub.lock_key: commit})
    order = {s.path: i for i, s in enumerate(specs)}
    return sorted(results, key=lambda r: order[r[0]])
