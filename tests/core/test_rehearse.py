"""Rehearsal stand-ins: the writer registry, checksums in the lock file, and the CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from repro.core import manifests, rehearse
from repro.core.artifacts import REHEARSAL_ENV, start_run
from repro.core.manifests import DataError

MANIFEST = """
entries:
  - name: fake_model
    kind: checkpoint
    files:
      - {path: fake/model/config.json, url: null, sha256: null, size_bytes: null}
      - {path: fake/model/weights.bin, url: null, sha256: null, size_bytes: null}
  - name: fake_corpus
    kind: dataset
    files:
      - {path: fake/corpus/train.jsonl, url: null, sha256: null, size_bytes: null}
  - name: fake_synth
    kind: synthetic
    generator: fake_standins:nothing
    seed: 0
"""
OTHER = """
entries:
  - name: other_data
    kind: dataset
    files:
      - {path: other/a.tsv, url: null, sha256: null, size_bytes: null}
"""
#: A stand-in writer as each paper provides (repro.<paper>.standins), for the manifests above.
WRITER = """
import json
from pathlib import Path

FILES = {
    "fake_model": ["fake/model/config.json", "fake/model/weights.bin"],
    "fake_corpus": ["fake/corpus/train.jsonl"],
}
SKIP = set()


def write_standins(data_dir, entries, seed=0):
    written = []
    for name in entries:
        for rel in FILES[name]:
            if rel in SKIP:
                continue
            path = Path(data_dir) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"entry": name, "seed": seed}))
            written.append(path)
    return written
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch):
    """Manifests ``fake.yaml`` / ``other.yaml`` and an importable ``fake_standins`` module."""
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "fake.yaml").write_text(MANIFEST)
    (folder / "other.yaml").write_text(OTHER)
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "fake_standins.py").write_text(WRITER)
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.delitem(__import__("sys").modules, "fake_standins", raising=False)
    return manifests.load_all(folder)


MODULES = {"fake": "fake_standins", "other": "not_written_yet_standins"}
NAMES = ["fake_model", "fake_corpus", "fake_synth", "other_data"]


def test_rehearse_writes_records_and_verifies(fake, tmp_path: Path):
    dest = tmp_path / "rehearsal" / "data"
    done = rehearse.rehearse(NAMES, fake, dest, modules=MODULES)
    assert sorted(done.files) == ["fake_corpus", "fake_model"]
    assert "synthetic" in done.skipped["fake_synth"]
    assert "not_written_yet_standins" in done.skipped["other_data"]
    assert "wrote 3 stand-in file(s) for 2 entries" in done.summary()[0]

    # `repro data verify` checks them against the lock file, as after a first fetch.
    lock = manifests.read_lock(dest)
    assert sorted(lock) == sorted(
        ["fake/model/config.json", "fake/model/weights.bin", "fake/corpus/train.jsonl"]
    )
    for name in ("fake_model", "fake_corpus"):
        assert {state for _, state in manifests.verify(fake[name], dest)} == {"ok"}
    record = rehearse.read_record(dest)
    weights = dest / "fake/model/weights.bin"
    assert record["files"]["fake/model/weights.bin"] == {
        "sha256": manifests.file_sha256(weights),
        "size_bytes": weights.stat().st_size,
    }
    assert record["entries"]["fake_model"]["module"] == "fake_standins"
    assert rehearse.missing_entries(NAMES, fake, dest) == ["other_data"]

    # A changed stand-in fails verification and counts as missing.
    weights.write_text("tampered")
    with pytest.raises(DataError, match=r"weights\.bin: sha256"):
        manifests.verify(fake["fake_model"], dest)
    assert rehearse.missing_entries(NAMES, fake, dest) == ["fake_model", "other_data"]

    # Rehearsing again (another seed) replaces the files and their checksums.
    rehearse.rehearse(["fake_model"], fake, dest, seed=3, modules=MODULES)
    assert json.loads(weights.read_text())["seed"] == 3
    assert {state for _, state in manifests.verify(fake["fake_model"], dest)} == {"ok"}
    assert rehearse.read_record(dest)["seed"] == 3


def test_refuses_a_folder_with_other_data(fake, tmp_path: Path):
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / "real.tar").write_text("precious")
    with pytest.raises(DataError, match="not written by `repro data rehearse`"):
        rehearse.rehearse(["fake_model"], fake, dest, modules=MODULES)
    assert (dest / "real.tar").read_text() == "precious"


def test_writer_that_skips_a_file_is_an_error(fake, tmp_path: Path):
    import fake_standins

    fake_standins.SKIP.add("fake/model/weights.bin")
    with pytest.raises(DataError, match=r"entry 'fake_model' file fake/model/weights\.bin"):
        rehearse.rehearse(["fake_model"], fake, tmp_path / "d", modules=MODULES)


def test_writer_returning_a_path_outside_dest_is_an_error(fake, tmp_path: Path, monkeypatch):
    import fake_standins

    outside = tmp_path / "elsewhere.txt"
    outside.write_text("x")
    original = fake_standins.write_standins
    monkeypatch.setattr(
        fake_standins, "write_standins", lambda d, e, seed=0: [*original(d, e, seed), outside]
    )
    with pytest.raises(DataError, match="not a file under"):
        rehearse.rehearse(["fake_model"], fake, tmp_path / "d", modules=MODULES)


def test_paper_registry_names_one_module_per_manifest():
    stems = {p.stem for p in manifests.manifest_dir().glob("*.yaml")}
    assert set(rehearse.STANDIN_MODULES) == stems
    assert rehearse.load_writer("repro.no_such_paper.standins") is None


GENERIC = textwrap.dedent(
    """
    from pathlib import Path
    from repro.core.manifests import load_all

    def write_standins(data_dir, entries, seed=0):
        every = load_all()
        out = []
        for name in entries:
            for spec in every[name].files:
                path = Path(data_dir) / spec.path
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(f"{name} {seed}".encode())
                out.append(path)
        return out
    """
)


def test_cli_rehearse_then_verify(tmp_path: Path, monkeypatch, capsys):
    from repro.pipeline.cli import main

    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "generic_standins.py").write_text(GENERIC)
    monkeypatch.syspath_prepend(str(mods))
    monkeypatch.setitem(rehearse.STANDIN_MODULES, "nash", "generic_standins")
    monkeypatch.setitem(rehearse.STANDIN_MODULES, "cr_ild", "generic_standins")
    monkeypatch.setitem(rehearse.STANDIN_MODULES, "twlv_i", "no_such_twlv_standins")
    monkeypatch.setenv("REPRO_BUILD_DIR", str(tmp_path / "build"))
    assert main(["data", "rehearse", "nash_samsum", "nash_t5_base"]) == 0
    dest = tmp_path / "build" / "rehearsal" / "data"
    assert "wrote 8 stand-in file(s) for 2 entries" in capsys.readouterr().out
    assert (dest / "nash/samsum/train.json").read_text() == "nash_samsum 0"
    # The rehearsal profile's data_dir (build/rehearsal/data) follows REPRO_BUILD_DIR.
    assert main(["data", "verify", "--profile", "rehearsal", "nash_samsum", "nash_t5_base"]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok") == 8
    assert main(["data", "verify", "--data-dir", str(dest), "nash_samsum"]) == 0
    # By default: every entry of the paper profile; a paper without a writer yet is skipped.
    assert main(["data", "rehearse", "--dest", str(tmp_path / "all")]) == 0
    out = capsys.readouterr().out
    assert "skipped (no stand-in writer no_such_twlv_standins for twlv_i.yaml yet)" in out
    assert (tmp_path / "all" / "cr_ild/glue/RTE/dev.tsv").is_file()
    assert main(["data", "verify", "--data-dir", str(tmp_path / "all"), "glue_rte"]) == 0


def test_rehearsal_artifacts_are_never_paper_tier(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(REHEARSAL_ENV, "1")
    run = start_run("demo/x", {}, out_dir=tmp_path)
    df = pd.DataFrame({"a": [1]})
    run.save_table(df, "t", caption="Table 3 at paper tier.", tier="paper")
    run.save_table(df, "m", caption="Mechanism.", tier="mechanism")
    meta = json.loads((tmp_path / "t.json").read_text())
    assert meta["tier"] == "rehearsal"
    assert meta["caption"].startswith("Rehearsal on stand-in data, not paper numbers.")
    assert json.loads((tmp_path / "m.json").read_text())["tier"] == "mechanism"
    monkeypatch.delenv(REHEARSAL_ENV)
    run.save_table(df, "p", caption="Paper.", tier="paper")
    assert json.loads((tmp_path / "p.json").read_text())["tier"] == "paper"
