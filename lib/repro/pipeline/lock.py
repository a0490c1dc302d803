"""One lock per build folder, so that two ``repro`` commands never write the same outputs.

Two ``repro run`` processes on one profile folder used to share its staging folders and
status file: the second one's staging wipe broke the first one's publish, and the
artifacts vanished while the status still said ok. Every command that writes a build
folder (``run``, ``build``, ``book``, ``clean``) and ``repro data rehearse`` now holds
an exclusive lock on it for its whole duration.

The lock is an ``flock`` taken through :mod:`filelock`: the operating system releases it
when the holder exits or crashes, so a stale lock can never block anyone. The lock file
lives next to the folder (``.<name>.lock``), not inside it, so that ``repro clean`` can
remove the folder while holding it. Who holds the lock (pid, host, command, since when)
is written to ``.<name>.lock.json`` for the message a waiting command prints.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from repro.core.atomic import atomic_write_text
from repro.pipeline.layout import BuildFolderError

log = logging.getLogger("repro")


class FolderBusyError(BuildFolderError):
    """Another ``repro`` command holds the folder's lock and we were asked not to wait."""


def lock_paths(folder: Path) -> tuple[Path, Path]:
    """The lock file and the holder-description file for ``folder``."""
    folder = Path(folder)
    return (
        folder.with_name(f".{folder.name}.lock"),
        folder.with_name(f".{folder.name}.lock.json"),
    )


def describe_holder(info_path: Path) -> str:
    """``pid 123 on host, `repro run ...`, since 05:30:01 UTC`` (or a neutral phrase)."""
    try:
        info: dict[str, Any] = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return "another repro process"
    since = str(info.get("since_utc", "?")).replace("T", " ").replace("+00:00", " UTC")
    who = f"pid {info.get('pid', '?')} on {info.get('host', '?')}"
    return f"{who} (`{info.get('command', '?')}`, since {since})"


def _command_line() -> str:
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else ["python"]
    return " ".join(argv)


@contextmanager
def folder_lock(
    folder: Path, wait: bool = True, command: str | None = None, label: str | None = None
) -> Iterator[None]:
    """Hold the exclusive lock of ``folder`` for the ``with`` block.

    Args:
        folder: The folder the caller writes (e.g. ``build/smoke``); it need not exist.
        wait: Wait for the holder to finish (printing who it is); when False, raise.
        command: What to tell waiters we are running (default: this process's argv).
        label: How messages name what is locked (default: ``folder``).

    Raises:
        FolderBusyError: ``wait`` is False and another process holds the lock.
    """
    lock_file, info_file = lock_paths(folder)
    label = label or str(folder)
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildFolderError(
            f"{lock_file.parent}: build folder is not writable ({exc.strerror})"
        ) from exc
    # No soft-lock fallback: a soft lock would survive a crash and block forever.
    lock = FileLock(lock_file, fallback_to_soft=False)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        holder = describe_holder(info_file)
        if not wait:
            raise FolderBusyError(
                f"{label}: in use by {holder}; try again when it finishes (or drop --no-wait)"
            ) from None
        log.warning("%s is in use by %s; waiting for it to finish", label, holder)
        lock.acquire()
    except OSError as exc:  # e.g. a read-only folder: the lock file cannot be opened
        raise BuildFolderError(f"{lock_file}: cannot take the lock ({exc.strerror})") from exc
    try:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command or _command_line(),
            "since_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        atomic_write_text(info_file, json.dumps(info, indent=2) + "\n")
        yield
    finally:
        info_file.unlink(missing_ok=True)
        lock.release()
