"""Where a profile's outputs live under the build folder, and its status file."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.core.artifacts import dumps
from repro.core.atomic import atomic_write_text
from repro.core.paths import build_root


class BuildFolderError(RuntimeError):
    """The build folder cannot be created or written."""


@dataclass(frozen=True)
class Layout:
    """Paths for one profile: ``build/<profile>/{notebooks,artifacts,staging,book_src}``."""

    root: Path

    @classmethod
    def for_profile(cls, profile: str, build: Path | None = None) -> Layout:
        return cls((build or build_root()) / profile)

    @property
    def status_file(self) -> Path:
        return self.root / "status.json"

    def executed(self, notebook_id: str) -> Path:
        return self.root / "notebooks" / f"{notebook_id}.ipynb"

    def artifacts(self, notebook_id: str | None = None) -> Path:
        base = self.root / "artifacts"
        return base / notebook_id if notebook_id else base

    def staging(self, notebook_id: str) -> Path:
        return self.root / "staging" / notebook_id

    @property
    def book_src(self) -> Path:
        return self.root / "book_src"

    def ensure_writable(self) -> None:
        """Create the folder and prove it is writable, or raise a one-line error."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-probe-{uuid.uuid4().hex}"
            probe.write_text("ok", encoding="utf-8")
            probe.unlink()
        except OSError as exc:
            raise BuildFolderError(
                f"{self.root}: build folder is not writable ({exc.strerror})"
            ) from exc

    def publish(self, notebook_id: str) -> None:
        """Move a successful run's staged artifacts into place, replacing the old ones.

        The old folder is first renamed to a unique ``.<name>.old-<id>`` and put back if
        the new one cannot be moved in, so the notebook is never left without artifacts.

        Raises:
            BuildFolderError: the staged folder is missing (another process removed it).
        """
        final = self.artifacts(notebook_id)
        staged = self.staging(notebook_id)
        if not staged.is_dir():
            raise BuildFolderError(f"{staged}: staged artifacts of {notebook_id} vanished")
        final.parent.mkdir(parents=True, exist_ok=True)
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:12]}")
        if final.exists():
            os.replace(final, old)
        try:
            os.replace(staged, final)
        except OSError:
            if old.exists() and not final.exists():
                os.replace(old, final)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def recover(self) -> list[str]:
        """Repair what an interrupted :meth:`publish` left; return the notebook ids restored.

        A leftover ``.<name>.old*`` folder whose ``<name>`` is missing is the last published
        output (its status entry still describes it): it is moved back. Next to an existing
        ``<name>`` it is an outdated copy and is removed.
        """
        restored = []
        base = self.artifacts()
        if not base.is_dir():
            return restored
        leftovers = sorted(
            (p for p in base.glob("*/.*.old*") if p.is_dir()),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in leftovers:
            name = old.name[1:].split(".old", 1)[0]
            final = old.with_name(name)
            if not final.exists():
                os.replace(old, final)
                restored.append(f"{final.parent.name}/{name}")
            else:
                shutil.rmtree(old, ignore_errors=True)
        return restored

    def withdraw(self, notebook_id: str) -> None:
        """Remove published artifacts of a notebook that just failed (never show stale output)."""
        shutil.rmtree(self.artifacts(notebook_id), ignore_errors=True)

    def read_status(self) -> dict[str, Any]:
        """The last recorded result per notebook (empty when never run)."""
        if not self.status_file.is_file():
            return {}
        try:
            doc = json.loads(self.status_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return {}
        return doc.get("notebooks", {}) if isinstance(doc, dict) else {}

    def write_status(self, profile: str, notebooks: dict[str, Any]) -> None:
        atomic_write_text(self.status_file, dumps({"profile": profile, "notebooks": notebooks}))
