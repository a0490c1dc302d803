"""Release-format and packed-format embedding I/O, including one test per bad input."""

import json

import numpy as np
import pytest

from repro.twlv import io


def _split(n=5, dim=4, clips=(1, 2, 3, 1, 2), seed=0):
    rng = np.random.default_rng(seed)
    per_video = [rng.normal(size=(c, dim)).astype(np.float32) for c in clips[:n]]
    return io.make_split(np.arange(n) % 3, per_video, num_frames=np.full(n, 48))


@pytest.fixture
def release_dir(tmp_path):
    root = tmp_path / "Kinetics400" / "multi-clip"
    io.write_release_split(_split(seed=0), root / "train")
    io.write_release_split(_split(n=3, seed=1), root / "val")
    return tmp_path / "Kinetics400"


def test_release_round_trip(release_dir):
    splits = io.read_release(release_dir, "multi-clip", num_classes=3)
    ref = _split(seed=0)
    train = splits["train"]
    np.testing.assert_array_equal(train.labels, ref.labels)
    np.testing.assert_array_equal(train.clips, ref.clips)
    np.testing.assert_array_equal(train.clip_offsets, [0, 1, 3, 6, 7, 9])
    np.testing.assert_allclose(train.video, ref.video)
    assert train.num_frames.tolist() == [48] * 5
    assert np.isnan(train.duration).all()
    assert splits["val"].num_videos == 3


def test_release_files_are_the_documented_layout(release_dir):
    split_dir = release_dir / "multi-clip" / "train"
    assert json.loads((split_dir / "000001.json").read_text()) == {
        "annotation": 1,
        "num_frames": 48,
    }
    assert np.load(split_dir / "000001_c.npy").shape == (2, 4)
    assert np.load(split_dir / "000001_v.npy").shape == (4,)


def test_packed_round_trip_and_converters(release_dir, tmp_path):
    paths = io.convert_release_to_packed(release_dir, tmp_path / "packed", "multi-clip")
    packed = io.read_packed(paths["train"])
    release = io.read_release_split(release_dir / "multi-clip" / "train")
    for field in ("labels", "video", "clips", "clip_offsets", "num_frames"):
        np.testing.assert_array_equal(getattr(packed, field), getattr(release, field))
    assert packed.ids.tolist() == release.ids.tolist()
    io.convert_packed_to_release(tmp_path / "packed", tmp_path / "back")
    again = io.read_release_split(tmp_path / "back" / "train")
    np.testing.assert_array_equal(again.clips, release.clips)
    loaded = io.load_embeddings(tmp_path / "packed")
    assert loaded["val"].num_videos == 3


def test_clip_video_index():
    assert _split().clip_video_index.tolist() == [0, 1, 1, 2, 2, 2, 3, 4, 4]


# ----------------------------------------------------------------------------- bad inputs


@pytest.fixture
def split_dir(tmp_path):
    return io.write_release_split(_split(), tmp_path / "train")


def test_missing_json(split_dir):
    (split_dir / "000002.json").unlink()
    with pytest.raises(io.EmbeddingFormatError, match=r"000002_c\.npy.*no matching 000002\.json"):
        io.read_release_split(split_dir)


def test_unreadable_json(split_dir):
    (split_dir / "000002.json").write_text("{not json")
    with pytest.raises(io.EmbeddingFormatError, match=r"000002\.json: unreadable json"):
        io.read_release_split(split_dir)


def test_missing_label(split_dir):
    (split_dir / "000003.json").write_text(json.dumps({"num_frames": 3}))
    with pytest.raises(io.EmbeddingFormatError, match=r"000003\.json: missing field 'annotation'"):
        io.read_release_split(split_dir)


def test_non_integer_label(split_dir):
    (split_dir / "000003.json").write_text(json.dumps({"annotation": "cat"}))
    with pytest.raises(io.EmbeddingFormatError, match=r"'annotation' is 'cat', expected an int"):
        io.read_release_split(split_dir)


def test_string_label_is_accepted_where_int_accepts_it(split_dir):
    (split_dir / "000003.json").write_text(json.dumps({"annotation": " 2", "num_frames": "48"}))
    split = io.read_release_split(split_dir)
    assert split.labels[3] == 2 and split.num_frames[3] == 48


def test_float_label_string_is_refused(split_dir):
    (split_dir / "000003.json").write_text(json.dumps({"annotation": "2.5"}))
    with pytest.raises(io.EmbeddingFormatError, match=r"000003\.json: field 'annotation' is '2.5'"):
        io.read_release_split(split_dir)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("num_frames", "many", "an integer >= 1"),
        ("num_frames", 0, "an integer >= 1"),
        ("num_frames", [3], "an integer >= 1"),
        ("duration", "long", "seconds >= 0"),
        ("duration", -1.0, "seconds >= 0"),
        ("duration", {"s": 1}, "seconds >= 0"),
    ],
)
def test_bad_json_fields_name_file_and_field(split_dir, field, value, expected):
    (split_dir / "000001.json").write_text(json.dumps({"annotation": 1, field: value}))
    with pytest.raises(io.EmbeddingFormatError) as err:
        io.read_release_split(split_dir)
    message = str(err.value)
    assert "\n" not in message
    assert f"000001.json: field '{field}' is {value!r}, expected {expected}" in message


def test_duration_string_and_zero_are_read(split_dir):
    (split_dir / "000001.json").write_text(json.dumps({"annotation": 1, "duration": "2.5"}))
    (split_dir / "000002.json").write_text(json.dumps({"annotation": 2, "duration": 0}))
    split = io.read_release_split(split_dir)
    assert split.duration[1] == 2.5 and split.duration[2] == 0.0


def test_label_out_of_range(split_dir):
    with pytest.raises(io.EmbeddingFormatError, match=r"000002\.json: label 2 out of range.*< 2"):
        io.read_release_split(split_dir, num_classes=2)


def test_negative_label(split_dir):
    (split_dir / "000000.json").write_text(json.dumps({"annotation": -1}))
    with pytest.raises(io.EmbeddingFormatError, match=r"label -1 is negative"):
        io.read_release_split(split_dir)


def test_dimension_differs_between_files(split_dir):
    np.save(split_dir / "000004_c.npy", np.zeros((2, 5), np.float32))
    with pytest.raises(io.EmbeddingFormatError, match=r"000004_c\.npy: shape \(2, 5\), expected"):
        io.read_release_split(split_dir)


def test_nan_values(split_dir):
    arr = np.load(split_dir / "000001_c.npy")
    arr[0, 0] = np.nan
    np.save(split_dir / "000001_c.npy", arr)
    with pytest.raises(io.EmbeddingFormatError, match=r"000001_c\.npy: contains NaN or inf"):
        io.read_release_split(split_dir)


def test_inf_values(split_dir):
    np.save(split_dir / "000001_v.npy", np.full(4, np.inf, np.float32))
    with pytest.raises(io.EmbeddingFormatError, match=r"000001_v\.npy: contains NaN or inf"):
        io.read_release_split(split_dir)


def test_empty_split(tmp_path):
    (tmp_path / "val").mkdir()
    with pytest.raises(io.EmbeddingFormatError, match=r"val: empty split"):
        io.read_release_split(tmp_path / "val")


def test_missing_split_folder(tmp_path):
    with pytest.raises(io.EmbeddingFormatError, match=r"val: split folder not found"):
        io.read_release_split(tmp_path / "val")


def test_missing_clip_file(split_dir):
    (split_dir / "000001_c.npy").unlink()
    with pytest.raises(io.EmbeddingFormatError, match=r"000001_c\.npy: missing file"):
        io.read_release_split(split_dir)


def test_clip_and_video_files_disagree(split_dir):
    np.save(split_dir / "000001_v.npy", np.zeros(3, np.float32))
    with pytest.raises(io.EmbeddingFormatError, match=r"000001_v\.npy: shape \(3,\).*like its _c"):
        io.read_release_split(split_dir)


def test_clip_file_wrong_rank(split_dir):
    np.save(split_dir / "000001_c.npy", np.zeros(4, np.float32))
    with pytest.raises(io.EmbeddingFormatError, match=r"000001_c\.npy.*expected \(n_clips, D\)"):
        io.read_release_split(split_dir)


def test_unreadable_npy(split_dir):
    (split_dir / "000001_c.npy").write_bytes(b"garbage")
    with pytest.raises(io.EmbeddingFormatError, match=r"000001_c\.npy: unreadable \.npy"):
        io.read_release_split(split_dir)


def test_val_dimension_differs_from_train(tmp_path):
    io.write_release_split(_split(dim=4), tmp_path / "train")
    io.write_release_split(_split(dim=6), tmp_path / "val")
    with pytest.raises(io.EmbeddingFormatError, match=r"val/000000_c\.npy: shape \(1, 6\)"):
        io.read_release(tmp_path)


def test_packed_missing_field(tmp_path):
    np.savez(tmp_path / "train.npz", labels=np.zeros(2, np.int64))
    with pytest.raises(io.EmbeddingFormatError, match=r"train\.npz: missing field\(s\)"):
        io.read_packed(tmp_path / "train.npz")


def test_packed_nan(tmp_path):
    split = _split()
    split.video[0, 0] = np.nan
    io.write_packed(split, tmp_path / "train.npz")
    with pytest.raises(io.EmbeddingFormatError, match=r"train\.npz: field 'video' contains NaN"):
        io.read_packed(tmp_path / "train.npz")


def test_packed_missing_file(tmp_path):
    with pytest.raises(io.EmbeddingFormatError, match=r"val\.npz: packed split file not found"):
        io.read_packed(tmp_path / "val.npz")


def test_unknown_variant(tmp_path):
    with pytest.raises(io.EmbeddingFormatError, match=r"variant 'clips', expected one of"):
        io.read_release(tmp_path, "clips")
