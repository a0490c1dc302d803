"""Assemble and build the Jupyter Book (1.x) from a profile's executed notebooks.

The committed ``book/`` folder holds prose (introduction, one chapter page per
paper, configuration) and the chapter list ``book/chapters.yml``. ``repro book``
copies it into ``build/<profile>/book_src`` and adds, per notebook of the profile,
its executed copy made into a report page (:mod:`repro.pipeline.pages`) when it
succeeded, or a failure page when it failed or never ran, the generated
reproduction-status and performance pages and the table of contents; then it
builds the HTML into ``book/_build/html`` with warnings as errors. An unchanged
source tree is not rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
import yaml

from repro.core.atomic import atomic_write_text
from repro.core.paths import repo_root
from repro.pipeline.chapters import CHAPTERS_FILE, load_chapters
from repro.pipeline.layout import Layout
from repro.pipeline.pages import as_report
from repro.pipeline.plan import plan_page
from repro.pipeline.profiles import Profile
from repro.pipeline.status_page import (
    REHEARSAL_BANNER,
    REHEARSAL_PROFILE,
    performance_page,
    status_page,
)

log = logging.getLogger("repro")

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HASH_FILE = "book.sha256"


class BookBuildError(RuntimeError):
    """``jupyter-book build`` failed; the message points at its log."""


def _first_heading(nb_path: Path, fallback: str) -> str:
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:
        return fallback
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _traceback_text(nb_path: Path) -> str:
    """The error output(s) of an executed notebook, without colour codes."""
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception:
        return ""
    chunks = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                chunks.append("\n".join(output.get("traceback", [])))
    return ANSI.sub("", "\n\n".join(chunks))


def failure_page(notebook_id: str, title: str, record: dict[str, Any] | None) -> str:
    """Markdown shown instead of a notebook that failed or never ran in this profile."""
    if not record:
        return (
            f"# {title}\n\n```{{warning}}\nThe notebook `{notebook_id}` has not been executed "
            "under this profile, so this page has no results. Run `repro run --only "
            f"'{notebook_id}'`.\n```\n"
        )
    executed = Path(record.get("executed", ""))
    trace = _traceback_text(executed) or (record.get("error") or "")
    return (
        f"# {title}\n\n```{{error}}\nThe notebook `{notebook_id}` **failed** in its last run "
        f"({record.get('finished_utc', '?')}), so no results are shown (stale results are "
        f"never shown). The executed copy with the full traceback is `{executed}`.\n```\n\n"
        f"Error: `{(record.get('error') or '').splitlines()[0] if record.get('error') else '?'}`"
        f"\n\n```text\n{trace.strip()[-6000:]}\n```\n"
    )


def _copy_prose(book_dir: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    if not book_dir.is_dir():
        dest.mkdir(parents=True)
        return
    ignore = shutil.ignore_patterns("_build", "_toc.yml", CHAPTERS_FILE.name, ".*")
    shutil.copytree(book_dir, dest, ignore=ignore)


def assemble(profile: Profile, layout: Layout, root: Path | None = None) -> Path:
    """Write the book source for ``profile`` into ``layout.book_src``; return it."""
    root = root or repo_root()
    src = layout.book_src
    _copy_prose(root / "book", src)
    status = layout.read_status()
    listed = load_chapters(root / CHAPTERS_FILE) if (root / CHAPTERS_FILE).is_file() else []
    titles = {c.id: c.title for c in listed}
    # A notebook whose folder is not listed still gets a chapter, after the listed ones.
    chapters: dict[str, list[str]] = {chapter: [] for chapter in titles}
    for nb_id, spec in profile.notebooks.items():
        paper = spec.paper
        chapters.setdefault(paper, [])
        record = status.get(nb_id)
        executed = layout.executed(nb_id)
        name = nb_id.split("/", 1)[1]
        fallback = name.replace("_", " ").capitalize()
        if record and record.get("status") == "ok" and executed.is_file():
            (src / paper).mkdir(parents=True, exist_ok=True)
            banner = REHEARSAL_BANNER if profile.name == REHEARSAL_PROFILE else None
            page = as_report(nbformat.read(executed, as_version=4), banner)
            atomic_write_text(src / paper / f"{name}.ipynb", nbformat.writes(page))
        else:
            title = _first_heading(spec.source_path(root), fallback)
            atomic_write_text(src / paper / f"{name}.md", failure_page(nb_id, title, record))
        chapters[paper].append(f"{paper}/{name}")
    for paper in chapters:
        index = src / paper / "index.md"
        if not index.is_file():
            atomic_write_text(index, f"# {titles.get(paper, paper)}\n\nNo prose yet.\n")
    atomic_write_text(src / "status.md", status_page(profile, layout, root))
    atomic_write_text(src / "performance.md", performance_page(root))
    atomic_write_text(src / "plan.md", plan_page())
    toc = {
        "format": "jb-book",
        "root": "intro",
        "parts": [
            {
                "caption": "Papers",
                "chapters": [
                    {"file": f"{paper}/index", "sections": [{"file": f} for f in files]}
                    if files
                    else {"file": f"{paper}/index"}
                    for paper, files in chapters.items()
                ],
            },
            {
                "caption": "Reproduction",
                "chapters": [
                    {"file": "status"},
                    {"file": "performance"},
                    {"file": "running"},
                    {"file": "plan"},
                ],
            },
        ],
    }
    atomic_write_text(src / "_toc.yml", yaml.safe_dump(toc, sort_keys=False))
    return src


def tree_digest(folder: Path) -> str:
    """SHA-256 over relative paths and bytes of every file under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build(
    profile: Profile, layout: Layout, force: bool = False, extra_args: Sequence[str] = ()
) -> tuple[Path, bool]:
    """Assemble and build the HTML; returns (index.html path, whether it was rebuilt)."""
    root = repo_root()
    src = assemble(profile, layout, root)
    out_root = root / "book"
    html = out_root / "_build" / "html"
    digest = tree_digest(src)
    stamp = layout.root / HASH_FILE
    up_to_date = (
        not force
        and html.joinpath("index.html").is_file()
        and stamp.is_file()
        and stamp.read_text(encoding="utf-8").strip() == f"{profile.name} {digest}"
    )
    if up_to_date:
        return html / "index.html", False
    shutil.rmtree(out_root / "_build", ignore_errors=True)  # clean build: no hidden warnings
    cmd = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(src),
        "--path-output", str(out_root), "--builder", "html",
        "-W", "-n", "--keep-going", "--all", *extra_args,
    ]  # fmt: skip
    log.info("building the book: %s", " ".join(cmd[3:5]))
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    log_file = layout.root / "book_build.log"
    atomic_write_text(log_file, proc.stdout + "\n" + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise BookBuildError(f"jupyter-book build failed (full log: {log_file}):\n{tail}")
    atomic_write_text(stamp, f"{profile.name} {digest}\n")
    return html / "index.html", True
