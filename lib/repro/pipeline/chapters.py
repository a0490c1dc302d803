"""The book's chapters, read from ``book/chapters.yml`` (data, not code)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from repro.core.errors import InputError

CHAPTERS_FILE = Path("book") / "chapters.yml"
FIELDS = ("id", "paper", "title")


class ChaptersError(InputError):
    """``book/chapters.yml`` is malformed."""


@dataclass(frozen=True)
class Chapter:
    """One chapter: a paper's notebooks folder, its name in ``paper_items.csv``, a title."""

    id: str
    paper: str
    title: str


def load_chapters(path: Path) -> list[Chapter]:
    """The chapters listed in ``path``, in order; a one-line :class:`ChaptersError` if bad."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ChaptersError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "unparsable"
        raise ChaptersError(f"{path}: malformed YAML{where}: {problem}") from exc
    entries = doc.get("chapters") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ChaptersError(f"{path}: expected a non-empty list under 'chapters'")
    chapters = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ChaptersError(f"{path}: chapter {n}: expected a mapping with {FIELDS}")
        for name in FIELDS:
            value = entry.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ChaptersError(f"{path}: chapter {n}: field '{name}' must be a non-empty text")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise ChaptersError(f"{path}: chapter {n}: unknown field '{unknown[0]}'")
        chapters.append(Chapter(entry["id"], entry["paper"], entry["title"]))
    ids = [c.id for c in chapters]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise ChaptersError(f"{path}: chapter id '{duplicate}' is listed twice")
    return chapters
