"""Release I/O hardening: the release loader's tolerance, and one line naming the file."""

import json

import numpy as np
import pytest

from repro.twlv import io, release_json
from repro.twlv.npy_files import read_npy


@pytest.fixture
def split_dir(tmp_path):
    rng = np.random.default_rng(0)
    per_video = [rng.normal(size=(2, 4)).astype(np.float32) for _ in range(4)]
    return io.write_release_split(io.make_split(np.arange(4) % 2, per_video), tmp_path / "train")


@pytest.mark.parametrize(
    ("value", "label", "exact"),
    [
        (3, 3, True),
        ("3", 3, True),
        (" 3\n", 3, True),
        ("+3", 3, True),
        ("1_0", 10, True),  # int() accepts digit separators
        (3.0, 3, True),
        (3.7, 3, False),  # int() truncates
        (True, 1, False),
        ("3.0", None, False),  # int("3.0") raises
        ("cat", None, False),
        (None, None, False),
        ([3], None, False),
        (float("nan"), None, False),
        (float("inf"), None, False),
    ],
)
def test_label_is_what_int_gives(value, label, exact):
    assert release_json.release_label(value) == (label, exact if label is not None else False)


def test_lossy_labels_are_read_with_a_warning(split_dir, caplog):
    (split_dir / "000001.json").write_text(json.dumps({"annotation": 1.9}))
    (split_dir / "000002.json").write_text(json.dumps({"annotation": False}))
    split = io.read_release_split(split_dir)
    assert split.labels.tolist() == [0, 1, 0, 1]
    assert "2 annotation(s) were not integers" in caplog.text and "000001.json" in caplog.text


def test_integer_and_float64_arrays_are_cast(split_dir):
    np.save(split_dir / "000000_c.npy", np.ones((2, 4), np.int64))
    np.save(split_dir / "000000_v.npy", np.ones(4, np.float64))
    split = io.read_release_split(split_dir)
    assert split.clips.dtype == np.float32 and split.clips[0].tolist() == [1.0] * 4


def test_fast_reader_equals_np_load_and_falls_back(tmp_path):
    arrays = {
        "c.npy": np.arange(12, dtype=np.float32).reshape(3, 4),
        "f.npy": np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4)),  # fallback
        "h.npy": np.arange(4, dtype=np.float16),
        "big.npy": np.arange(6, dtype=">f4"),
    }
    for name, arr in arrays.items():
        np.save(tmp_path / name, arr)
        out = read_npy(tmp_path / name, (1, 2), "any")
        np.testing.assert_array_equal(out, arr.astype(np.float32))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"bad\.npy: unreadable \.npy"),
        (b"not an npy file", r"bad\.npy: unreadable \.npy"),
        ("truncated", r"bad\.npy: unreadable \.npy \(\d+ data bytes for shape \(4,\)"),
        ("strings", r"bad\.npy: dtype <U1, expected real numbers"),
        ("complex", r"bad\.npy: dtype complex64, expected real numbers"),
        ("3d", r"bad\.npy: array of shape \(1, 1, 4\), expected"),
    ],
)
def test_bad_npy_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.npy"
    if content == "truncated":
        np.save(path, np.zeros(4, np.float32))
        path.write_bytes(path.read_bytes()[:-3])
    elif content == "strings":
        np.save(path, np.array(["a", "b"]))
    elif content == "complex":
        np.save(path, np.zeros(4, np.complex64))
    elif content == "3d":
        np.save(path, np.zeros((1, 1, 4), np.float32))
    else:
        path.write_bytes(content)
    with pytest.raises(io.EmbeddingFormatError, match=message) as err:
        read_npy(path, (1, 2), "(D,)")
    assert "\n" not in str(err.value)


def test_nan_names_the_file_after_one_pass(split_dir):
    bad = np.zeros(4, np.float32)
    bad[2] = np.inf
    np.save(split_dir / "000003_v.npy", bad)
    with pytest.raises(io.EmbeddingFormatError, match=r"000003_v\.npy: contains NaN or inf"):
        io.read_release_split(split_dir)


def test_missing_npy_names_the_file(split_dir):
    (split_dir / "000002_c.npy").unlink()
    with pytest.raises(io.EmbeddingFormatError, match=r"000002_c\.npy: missing file"):
        io.read_release_split(split_dir)
