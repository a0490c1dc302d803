"""Data manifests: schema errors, fetch and verify against a loopback HTTP server."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from repro.core import manifests
from repro.core.manifests import DataError, FileSpec, ManifestError

GOOD = b"id\tlabel\n1\t0\n2\t1\n"


@pytest.fixture
def server(tmp_path: Path):
    """Serve ``tmp_path/www`` on 127.0.0.1; yields (base_url, folder)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www
    httpd.shutdown()
    httpd.server_close()


def _spec(url: str, sha: str | None) -> FileSpec:
    return FileSpec(path="glue/RTE/train.tsv", url=url, sha256=sha, size_bytes=None)


def test_fetch_good_file_then_never_overwrite(server, tmp_path):
    base, www = server
    (www / "train.tsv").write_bytes(GOOD)
    root = tmp_path / "data"
    spec = _spec(f"{base}/train.tsv", hashlib.sha256(GOOD).hexdigest())
    assert manifests.fetch_file(spec, root, "glue_rte") == "fetched"
    assert (root / spec.path).read_bytes() == GOOD
    (www / "train.tsv").write_bytes(b"changed upstream")
    assert manifests.fetch_file(spec, root, "glue_rte") == "present"
    assert (root / spec.path).read_bytes() == GOOD


def test_corrupt_download_is_rejected_and_leaves_nothing(server, tmp_path):
    base, www = server
    (www / "train.tsv").write_bytes(b"corrupt")
    root = tmp_path / "data"
    spec = _spec(f"{base}/train.tsv", hashlib.sha256(GOOD).hexdigest())
    with pytest.raises(
        DataError, match=r"glue_rte: .*train\.tsv: downloaded sha256 .* does not match"
    ):
        manifests.fetch_file(spec, root, "glue_rte")
    assert not (root / spec.path).exists()
    assert list((root / "glue" / "RTE").iterdir()) == []


def test_missing_upstream_file_is_a_clear_error(server, tmp_path):
    base, _ = server
    spec = _spec(f"{base}/absent.tsv", None)
    with pytest.raises(DataError, match=r"train\.tsv: download from .*absent\.tsv failed"):
        manifests.fetch_file(spec, tmp_path / "data", "glue_rte")


def test_unknown_checksum_is_locked_on_first_fetch(server, tmp_path):
    base, www = server
    (www / "train.tsv").write_bytes(GOOD)
    root = tmp_path / "data"
    spec = _spec(f"{base}/train.tsv", None)
    assert "recorded in lock file" in manifests.fetch_file(spec, root, "glue_rte")
    assert manifests.read_lock(root) == {spec.path: hashlib.sha256(GOOD).hexdigest()}
    assert manifests.verify_file(spec, root, "glue_rte") == "ok"
    # The local copy is tampered with: verify and fetch both refuse it, and keep it.
    (root / spec.path).write_bytes(b"tampered")
    with pytest.raises(DataError, match="does not match expected"):
        manifests.verify_file(spec, root, "glue_rte")
    with pytest.raises(DataError, match="does not match expected"):
        manifests.fetch_file(spec, root, "glue_rte")
    assert (root / spec.path).read_bytes() == b"tampered"
    # Removed and refetched while upstream changed: the lock catches it.
    (root / spec.path).unlink()
    (www / "train.tsv").write_bytes(b"upstream changed")
    with pytest.raises(DataError, match="does not match"):
        manifests.fetch_file(spec, root, "glue_rte")


def test_verify_missing_file(tmp_path):
    spec = _spec("https://example.invalid/x", None)
    with pytest.raises(DataError, match=r"glue_rte: .*train\.tsv: missing"):
        manifests.verify_file(spec, tmp_path, "glue_rte")


def test_plain_http_to_other_hosts_is_refused():
    with pytest.raises(DataError, match="https only"):
        manifests.check_url("http://example.com/data.tar")
    manifests.check_url("https://example.com/data.tar")


def test_schema_errors_name_file_and_field(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("entries:\n  - name: x\n    kind: dataset\n")
    with pytest.raises(ManifestError, match=r"m\.yaml: entry 'x': missing field 'files'"):
        manifests.load_manifest(bad)
    bad.write_text("entries:\n  - name: x\n    kind: weird\n")
    with pytest.raises(ManifestError, match="field 'kind' must be one of"):
        manifests.load_manifest(bad)
    bad.write_text(
        "entries:\n  - name: x\n    kind: dataset\n    files:\n      - path: ../etc/passwd\n"
    )
    with pytest.raises(ManifestError, match=r"without '\.\.'"):
        manifests.load_manifest(bad)


def test_array_digest_is_order_and_dtype_sensitive():
    a = {"x": np.arange(3, dtype=np.int64), "y": np.zeros((2, 2), dtype=np.float32)}
    b = {"y": np.zeros((2, 2), dtype=np.float32), "x": np.arange(3, dtype=np.int64)}
    assert manifests.array_digest(a) == manifests.array_digest(b)
    c = {**a, "x": np.arange(3, dtype=np.int32)}
    assert manifests.array_digest(a) != manifests.array_digest(c)


def test_committed_manifests_parse():
    entries = manifests.load_all()
    for entry in entries.values():
        assert entry.description, f"{entry.name}: add a description"


def _tar_with(tmp_path: Path, name: str, data: bytes = b"x") -> Path:
    import io
    import tarfile

    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return archive


@pytest.mark.parametrize("name", ["/etc/evil", "../evil", "ok/../../evil"])
def test_extraction_refuses_escaping_members(tmp_path, name):
    archive = _tar_with(tmp_path, name)
    with pytest.raises(DataError, match="refusing archive member"):
        manifests.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil").exists() and not list((tmp_path / "out").iterdir())


def test_extraction_of_a_good_archive(tmp_path):
    archive = _tar_with(tmp_path, "train/v1.json", b"{}")
    manifests.safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "train" / "v1.json").read_bytes() == b"{}"


def test_no_unsafe_deserialisation_in_the_library():
    """No pickle, and torch.load only with weights_only=True (downloaded files are untrusted)."""
    import re

    from repro.core.paths import repo_root

    for path in (repo_root() / "lib" / "repro").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bpickle\.loads?\(", text), f"{path}: pickle.load"
        for call in re.finditer(r"torch\.load\(([^)]*)\)", text):
            assert "weights_only=True" in call.group(1), f"{path}: {call.group(0)}"
        assert "allow_pickle=True" not in text, f"{path}: np.load(allow_pickle=True)"
