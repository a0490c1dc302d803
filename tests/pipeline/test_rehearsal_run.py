"""A rehearsal profile: its data_dir reaches the kernels and missing stand-ins are written first."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from repro.core import rehearse
from repro.core.paths import repo_root
from repro.pipeline.layout import Layout
from repro.pipeline.profiles import ProfileError, load_profile
from repro.pipeline.runner import run_profile

MANIFEST = """
entries:
  - name: fake_corpus
    kind: dataset
    files:
      - {path: fake/corpus/train.jsonl, url: null, sha256: null, size_bytes: null}
"""
WRITER = """
from pathlib import Path

def write_standins(data_dir, entries, seed=0):
    path = Path(data_dir) / "fake/corpus/train.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"text": "stand-in"}')
    return [path]
"""
PROFILE = """
name: r
rehearsal: true
data_dir: {data_dir}
notebooks:
  demo/reads:
    data: [fake_corpus]
"""


def _profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


def test_data_dir_forms(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("REPRO_BUILD_DIR", str(tmp_path / "b"))
    nb = "notebooks: {demo/x: {}}\n"
    assert load_profile(str(_profile(tmp_path, nb))).data_dir is None
    under_build = load_profile(str(_profile(tmp_path, "data_dir: build/r/data\n" + nb)))
    assert under_build.data_dir == tmp_path / "b" / "r" / "data"
    relative = load_profile(str(_profile(tmp_path, "data_dir: data/mine\n" + nb)))
    assert relative.data_dir == repo_root() / "data" / "mine"
    absolute = load_profile(str(_profile(tmp_path, f"data_dir: {tmp_path}/d\n" + nb)))
    assert absolute.data_dir == tmp_path / "d" and not absolute.rehearsal
    with pytest.raises(ProfileError, match="needs a 'data_dir'"):
        load_profile(str(_profile(tmp_path, "rehearsal: true\n" + nb)))
    with pytest.raises(ProfileError, match="'rehearsal' must be true or false"):
        load_profile(str(_profile(tmp_path, "rehearsal: yes please\ndata_dir: d\n" + nb)))


def test_the_shipped_rehearsal_profile(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("REPRO_BUILD_DIR", str(tmp_path))
    profile = load_profile("rehearsal")
    paper = load_profile("paper")
    assert profile.rehearsal and profile.data_dir == tmp_path / "rehearsal" / "data"
    assert list(profile.notebooks) == list(paper.notebooks)
    # Every real-data entry of the paper profile is rehearsed; generated (synthetic) sets are
    # drawn at rehearsal sizes instead.
    real = {n for n in paper.data_names() if "synthetic" not in n}
    assert real <= set(profile.data_names())


@pytest.mark.slow
def test_rehearsal_run_writes_standins_and_passes_data_dir(
    tmp_path: Path, monkeypatch, make_notebook
):
    root = tmp_path / "proj"
    (root / "data_manifests").mkdir(parents=True)
    (root / "data_manifests" / "fake.yaml").write_text(MANIFEST)
    (root / "lib").mkdir()
    make_notebook(
        root / "notebooks" / "demo" / "reads.ipynb",
        "x = 1  # unused",
        """
        import os, pathlib
        data = pathlib.Path(os.environ["REPRO_DATA_DIR"], "fake/corpus/train.jsonl")
        out = pathlib.Path(os.environ["REPRO_ARTIFACT_DIR"], "seen.txt")
        out.write_text(data.read_text() + "|" + os.environ.get("REPRO_REHEARSAL", ""))
        """,
    )
    data_dir = tmp_path / "rehearsal-data"
    profile = _profile(tmp_path, PROFILE.format(data_dir=data_dir))
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "fake_standins.py").write_text(WRITER)
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.delitem(sys.modules, "fake_standins", raising=False)
    monkeypatch.setattr(rehearse, "STANDIN_MODULES", {"fake": "fake_standins"})
    layout = Layout(tmp_path / "build" / "r")

    def run() -> str:
        (outcome,) = run_profile(str(profile), layout=layout, root=root)
        return outcome.status

    assert run() == "ok"
    seen = layout.artifacts("demo/reads") / "seen.txt"
    assert seen.read_text() == '{"text": "stand-in"}|1'
    assert rehearse.read_record(data_dir)["entries"]["fake_corpus"]["module"] == "fake_standins"
    assert run() == "cached"
    # A damaged stand-in is rewritten before the run, and the notebook re-runs on it.
    (data_dir / "fake/corpus/train.jsonl").write_text("damaged")
    assert run() == "ok"
    assert seen.read_text() == '{"text": "stand-in"}|1'
