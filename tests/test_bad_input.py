"""The bad-input table: each row gives a one-line error naming the file and the problem,
a non-zero exit, and leaves what was already good untouched.

The table itself is in the book (``book/running.md``, "Bad input").
"""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from repro.core import manifests
from repro.core.manifests import DataError, FileSpec


def _repro(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "repro.pipeline.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture
def good_build(tmp_path: Path) -> Path:
    """A build folder holding a good artifact that bad input must not touch."""
    artifact = tmp_path / "build" / "smoke" / "artifacts" / "twlv_i" / "x" / "t.csv"
    artifact.parent.mkdir(parents=True)
    artifact.write_text("good\n")
    return tmp_path / "build"


def _untouched(build: Path) -> bool:
    return (build / "smoke" / "artifacts" / "twlv_i" / "x" / "t.csv").read_text() == "good\n"


def test_malformed_profile_yaml(tmp_path, good_build):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nnotebooks: [unclosed\n")
    proc = _repro("run", "--profile", str(bad), env={"REPRO_BUILD_DIR": str(good_build)})
    assert proc.returncode == 2
    assert "bad.yaml: malformed YAML at line" in _one_line_error(proc)
    assert _untouched(good_build)


def test_unknown_parameter(good_build):
    proc = _repro("run", "--profile", "smoke", "--only", "twlv_i/reported_tables",
                  "-p", "decimal=3", env={"REPRO_BUILD_DIR": str(good_build)})  # fmt: skip
    assert proc.returncode == 2
    assert "no selected notebook declares parameter 'decimal'" in _one_line_error(proc)
    assert _untouched(good_build)


def test_wrong_parameter_type(good_build):
    proc = _repro("run", "--profile", "smoke", "--only", "twlv_i/reported_tables",
                  "-p", "decimals=two", env={"REPRO_BUILD_DIR": str(good_build)})  # fmt: skip
    assert proc.returncode == 2
    line = _one_line_error(proc)
    assert "twlv_i/reported_tables" in line and "'decimals' expects int" in line
    assert _untouched(good_build)


@pytest.fixture
def data_project(tmp_path: Path) -> tuple[Path, Path]:
    """A project root whose manifest lists one file, and a data folder."""
    root = tmp_path / "proj"
    (root / "data_manifests").mkdir(parents=True)
    sha = hashlib.sha256(b"good bytes").hexdigest()
    (root / "data_manifests" / "demo.yaml").write_text(
        textwrap.dedent(
            f"""
            entries:
              - name: demo_set
                kind: dataset
                description: one file
                files:
                  - {{path: demo/a.bin, url: "https://example.invalid/a.bin", sha256: {sha}}}
            """
        )
    )
    return root, tmp_path / "data"


def test_missing_data_file(data_project):
    root, data = data_project
    proc = _repro("data", "verify", "demo_set", env={"REPRO_ROOT": str(root),
                                                     "REPRO_DATA_DIR": str(data)})  # fmt: skip
    assert proc.returncode == 1
    assert "demo_set:" in (line := _one_line_error(proc)) and "a.bin: missing" in line


def test_checksum_mismatch(data_project):
    root, data = data_project
    (data / "demo").mkdir(parents=True)
    (data / "demo" / "a.bin").write_bytes(b"bad bytes")
    proc = _repro("data", "fetch", "demo_set", env={"REPRO_ROOT": str(root),
                                                    "REPRO_DATA_DIR": str(data)})  # fmt: skip
    assert proc.returncode == 1
    assert "a.bin: sha256" in _one_line_error(proc)
    assert (data / "demo" / "a.bin").read_bytes() == b"bad bytes"  # never overwritten


def test_unwritable_build_folder(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the build folder should be")
    proc = _repro("run", "--profile", "smoke", env={"REPRO_BUILD_DIR": str(blocker / "build")})
    assert proc.returncode == 2
    assert "build folder is not writable" in _one_line_error(proc)
    assert blocker.read_text().startswith("a file")


class _TruncatingHandler(http.server.BaseHTTPRequestHandler):
    """Promises 1000 bytes, sends 10, then closes the connection."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_interrupted_download(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TruncatingHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/a.bin"
        spec = FileSpec(path="demo/a.bin", url=url, sha256=None, size_bytes=None)
        with pytest.raises(DataError, match=r"demo/a\.bin: download from .* interrupted"):
            manifests.fetch_file(spec, tmp_path, "demo_set")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert not (tmp_path / "demo" / "a.bin").exists()
    assert list((tmp_path / "demo").iterdir()) == []  # no partial file left behind
    assert manifests.read_lock(tmp_path) == {}  # and no checksum recorded for it


@pytest.fixture
def release_dir(tmp_path: Path) -> Path:
    """A small embedding folder in the TWLV-I release format."""
    import numpy as np

    from repro.twlv.io import make_split, write_release_split

    rng = np.random.default_rng(0)
    for split, n in (("train", 12), ("val", 6)):
        clips = [rng.normal(size=(2, 8)).astype(np.float32) for _ in range(n)]
        write_release_split(make_split(np.arange(n) % 3, clips), tmp_path / "emb" / split)
    return tmp_path / "emb"


def test_truncated_npy(release_dir: Path):
    target = release_dir / "train" / "000001_c.npy"
    target.write_bytes(target.read_bytes()[:100])
    proc = _repro("twlv", "evaluate", str(release_dir), "--protocol", "knn")
    assert proc.returncode == 2
    assert "000001_c.npy: unreadable .npy" in _one_line_error(proc)


def test_wrong_array_shape(release_dir: Path):
    import numpy as np

    np.save(release_dir / "train" / "000002_c.npy", np.zeros(8, np.float32))
    proc = _repro("twlv", "evaluate", str(release_dir), "--protocol", "knn")
    assert proc.returncode == 2
    assert "000002_c.npy: array of shape (8,), expected (n_clips, D)" in _one_line_error(proc)


def test_malformed_glue_tsv(tmp_path: Path):
    glue = tmp_path / "RTE"
    glue.mkdir()
    rows = "index\tsentence1\tsentence2\tlabel\n0\ta b\tc d\tentailment\n1\tonly two\n"
    for name in ("train.tsv", "dev.tsv"):
        (glue / name).write_text(rows)
    proc = _repro("crild", "run", "--data", str(glue), "--task", "rte", "--method", "KD",
                  "--teacher", str(tmp_path / "teacher"))  # fmt: skip
    assert proc.returncode == 2
    assert "train.tsv:3: 2 fields; expected 4 (ragged row)" in _one_line_error(proc)
