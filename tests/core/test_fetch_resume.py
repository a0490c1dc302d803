"""Fetching through pooch and the Hub client: progress, verify, resume, disk space, pins.

Every server is a loopback one; the Hub client is replaced by an injected function.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from repro.core import manifests
from repro.core.hub import parse_hub_url
from repro.core.manifests import DataError, Entry, FileSpec
from repro.pipeline import cli

DATA = bytes(range(256)) * 4096  # 1 MiB
SHA = hashlib.sha256(DATA).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves DATA at /big; the first plain GET is cut off half-way (a dropped link)."""

    seen: list[str | None]
    cut: list[bool]

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.seen.append(self.headers.get("Range"))
        if self.path != "/big":
            self.send_error(404)
            return
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(DATA) - 1}/{len(DATA)}")
            self.send_header("Content-Length", str(len(DATA) - start))
            self.end_headers()
            self.wfile.write(DATA[start:])
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(DATA)))
        self.end_headers()
        if self.cut and self.cut.pop():
            self.wfile.write(DATA[: len(DATA) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(DATA)


@pytest.fixture
def flaky(tmp_path: Path):
    """A loopback server whose first transfer is interrupted; yields (url, seen, cut)."""
    handler = type("H", (_Handler,), {"seen": [], "cut": [True]})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/big", handler.seen, handler.cut
    httpd.shutdown()
    httpd.server_close()


def _spec(url: str, sha: str | None = SHA, size: int | None = None) -> FileSpec:
    return FileSpec(path="x/big.bin", url=url, sha256=sha, size_bytes=size)


def test_interrupted_transfer_resumes_with_a_range_request(flaky, tmp_path):
    url, seen, _ = flaky
    root = tmp_path / "data"
    cut = r"big\.bin: download from .* interrupted .*kept; run again to resume"
    with pytest.raises(DataError, match=cut):
        manifests.fetch_file(_spec(url), root, "e", retries=0, progress=False)
    partial = root / "x" / ".big.bin.part"
    kept = partial.stat().st_size
    assert 0 < kept <= len(DATA) // 2  # what arrived before the cut, less a partial chunk
    assert not (root / "x" / "big.bin").exists()
    assert manifests.fetch_file(_spec(url), root, "e", retries=0, progress=False) == "fetched"
    assert (root / "x" / "big.bin").read_bytes() == DATA
    assert seen == [None, f"bytes={kept}-"]
    assert not partial.exists()
    assert manifests.read_sizes(root) == {"x/big.bin": len(DATA)}


def test_retry_resumes_within_one_fetch_and_shows_progress(flaky, tmp_path, capsys):
    url, seen, _ = flaky
    root = tmp_path / "data"
    assert manifests.fetch_file(_spec(url), root, "e", retries=1, backoff=0) == "fetched"
    assert seen[0] is None and seen[-1].startswith("bytes=") and seen[-1] != "bytes=0-"
    err = capsys.readouterr().err
    assert "big.bin" in err and "100%" in err  # the tqdm bar on stderr


def test_a_mismatching_download_leaves_the_good_file_and_nothing_else(flaky, tmp_path):
    url, _, cut = flaky
    cut.clear()
    root = tmp_path / "data"
    bad = _spec(url, sha="0" * 64)
    with pytest.raises(DataError, match=r"downloaded sha256 [0-9a-f]{64} does not match 0{64}"):
        manifests.fetch_file(bad, root, "e", progress=False)
    assert list((root / "x").iterdir()) == []
    # A good local copy is verified and kept, whatever upstream serves now.
    good = root / "x" / "big.bin"
    good.write_bytes(b"good copy")
    spec = _spec(url, sha=hashlib.sha256(b"good copy").hexdigest())
    assert manifests.fetch_file(spec, root, "e", progress=False) == "present"
    assert good.read_bytes() == b"good copy"
    with pytest.raises(DataError, match="does not match expected"):
        manifests.fetch_file(_spec(url), root, "e", progress=False)  # manifest wants DATA
    assert good.read_bytes() == b"good copy"


def test_fetch_refuses_when_the_disk_is_too_small(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "m.yaml").write_text(
        "entries:\n  - name: huge\n    kind: dataset\n    files:\n"
        "      - {path: h/huge.bin, url: 'https://example.invalid/h', sha256: null,"
        " size_bytes: 1000000000000000}\n"
    )
    monkeypatch.setattr(manifests, "manifest_dir", lambda: folder)
    code = cli.main(["data", "fetch", "huge", "--data-dir", str(tmp_path / "d")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "not enough free disk space" in err and "1000000.00 GB" in err and str(tmp_path) in err


HUB = "https://huggingface.co/org/model/resolve/{rev}/{name}"


def _hub_entry(rev: str, sha: str | None = None) -> Entry:
    files = tuple(
        FileSpec(f"m/{n}", HUB.format(rev=rev, name=n), sha, None) for n in ("config.json",)
    )
    return Entry(name="m", kind="checkpoint", manifest=Path("t.yaml"), files=files)


def test_hub_url_parsing():
    hub = parse_hub_url("https://huggingface.co/datasets/a/b/resolve/main/x/y.json")
    assert (hub.repo_id, hub.repo_type, hub.revision, hub.filename) == (
        "a/b",
        "dataset",
        "main",
        "x/y.json",
    )
    assert parse_hub_url("https://example.org/a/b/resolve/main/x") is None


def test_unpinned_hub_revision_is_locked_to_the_resolved_commit(tmp_path):
    calls = []

    def fake(repo_id, repo_type, revision, filenames, dest):
        calls.append(revision)
        for name in filenames:
            (dest / name).write_text("{}")
        return "a" * 40

    root = tmp_path / "data"
    [(path, state)] = manifests.fetch(_hub_entry("main"), root, hub_download=fake)
    assert path == "m/config.json" and "UNPINNED revision 'main' resolved to " + "a" * 40 in state
    lock = manifests.read_lock(root)
    assert lock["hf-revision:model:org/model@main"] == "a" * 40
    assert lock["m/config.json"] == hashlib.sha256(b"{}").hexdigest()
    (root / "m" / "config.json").unlink()
    [(_, state)] = manifests.fetch(_hub_entry("main"), root, hub_download=fake)
    assert calls == ["main", "a" * 40] and "UNPINNED" not in state  # the lock pins it now


def test_pinned_hub_revision_and_checksum_are_enforced(tmp_path):
    commit = "b" * 40

    def fake(repo_id, repo_type, revision, filenames, dest):
        assert revision == commit
        for name in filenames:
            (dest / name).write_text("changed")
        return revision

    root = tmp_path / "data"
    entry = _hub_entry(commit, sha=hashlib.sha256(b"{}").hexdigest())
    with pytest.raises(DataError, match=r"does not match .*nothing replaced"):
        manifests.fetch(entry, root, hub_download=fake)
    assert not (root / "m" / "config.json").exists()
