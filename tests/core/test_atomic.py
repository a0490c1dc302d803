"""Atomic writes: an interrupted write leaves the old file and no debris."""

from __future__ import annotations

from pathlib import Path

import pytest

from repro.core.atomic import atomic_write_text, atomic_write_with


def test_write_replaces_content(tmp_path: Path):
    target = tmp_path / "sub" / "table.csv"
    atomic_write_text(target, "a\n1\n")
    atomic_write_text(target, "a\n2\n")
    assert target.read_text() == "a\n2\n"
    assert [p.name for p in target.parent.iterdir()] == ["table.csv"]


def test_interrupted_write_keeps_old_file(tmp_path: Path):
    target = tmp_path / "table.csv"
    target.write_text("good\n")

    def half_then_crash(tmp: Path) -> None:
        tmp.write_text("half-writ")
        raise KeyboardInterrupt  # as if the process were interrupted mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic_write_with(target, half_then_crash)
    assert target.read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
