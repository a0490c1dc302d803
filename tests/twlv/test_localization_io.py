"""Readers of the release's localisation / segmentation layouts, on the tiny stand-ins."""

import json

import numpy as np
import pytest

from repro.core.manifests import load_all, safe_extract
from repro.twlv import localization_io as lio
from repro.twlv import segmentation_io as sio
from repro.twlv.metrics_commands import tas_metrics_command
from repro.twlv.standins import TEMPORAL_ENTRIES, write_standins


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    paths = write_standins(root, TEMPORAL_ENTRIES, seed=0)
    archive = root / load_all()["twlv_i_tas_annotations"].files[0].path
    safe_extract(archive, archive.parent)  # what `repro data fetch` / rehearse do (extract: true)
    return root, paths


def test_every_manifest_file_is_written_and_bytes_depend_on_the_seed(data, tmp_path):
    root, paths = data
    entries = load_all()
    for name in TEMPORAL_ENTRIES:
        for spec in entries[name].files:
            assert (root / spec.path) in paths
    again = write_standins(tmp_path, ["twlv_i_tas_annotations"], seed=0)
    archive = entries["twlv_i_tas_annotations"].files[0].path
    assert again[0].read_bytes() == (root / archive).read_bytes()


def test_thumos_annotations_and_features(data):
    root, _ = data
    gt, names = lio.read_annotations(root / lio.THUMOS_ANNOTATIONS, subset="test")
    assert list(gt.columns) == ["video_id", "t_start", "t_end", "label"]
    assert set(gt["video_id"].str.startswith("video_test_")) == {True}
    assert set(names.items()) <= {("Jump", 0), ("Throw", 1), ("Dive", 2)}
    every, _ = lio.read_annotations(root / lio.THUMOS_ANNOTATIONS)
    assert len(every) > len(gt)
    video = gt["video_id"].iloc[0]
    feats, meta = lio.read_feature_video(root / "twlv_i/THUMOS14/val", video)
    clip, overlap = lio.WINDOWS["THUMOS14"]
    assert feats.dtype == np.float32 and feats.shape[1] == 16
    assert meta["fps"] == pytest.approx(30.0, abs=0.1)
    # windows of 0.5 s every 0.125 s cover the video: the last centre is within the duration
    centres = lio.window_centres(len(feats), clip, overlap)
    assert centres[1] - centres[0] == 0.125 and centres[-1] <= meta["duration"]


def test_localisation_readers_fail_with_one_line(tmp_path):
    bad = tmp_path / "gt.json"
    bad.write_text(json.dumps({"database": {"v": {"subset": "test", "annotations": [{}]}}}))
    with pytest.raises(lio.LocalizationFormatError, match=r"gt\.json: database\['v'\]"):
        lio.read_annotations(bad)
    bad.write_text(json.dumps({"videos": {}}))
    with pytest.raises(lio.LocalizationFormatError, match="expected a JSON object with field"):
        lio.read_detections(bad)
    (tmp_path / "v.json").write_text(json.dumps({"duration": 3}))
    with pytest.raises(lio.LocalizationFormatError, match=r"v\.json: missing field 'num_frames'"):
        lio.read_feature_video(tmp_path, "v")


def test_segmentation_annotations_and_features(data):
    root, _ = data
    folder = sio.annotations_dir(root, "GTEA")
    mapping = sio.read_mapping(folder / "mapping.txt")
    assert mapping == {"take": 0, "pour": 1, "background": 2}
    test_videos = sio.read_split(folder / "splits/test.split1.bundle")
    labels = sio.read_label_folder(folder / "groundTruth", test_videos)
    assert list(labels) == test_videos and all(set(f) <= set(mapping) for f in labels.values())
    feats = sio.read_features(sio.feature_file(root / "twlv_i/GTEA", test_videos[0]))
    aligned = sio.align_features(feats, len(labels[test_videos[0]]))
    assert aligned.shape == (len(labels[test_videos[0]]), 16)
    with pytest.raises(sio.SegmentationFormatError, match=r"no nothing_c\.npy"):
        sio.feature_file(root / "twlv_i/GTEA", "nothing")


def test_align_features_matches_linear_interpolation_by_hand():
    # torch's F.interpolate(size=4, mode="linear") of [0, 2]: positions -0.25 (clamped to 0),
    # 0.25, 0.75, 1.25 (clamped to 1) -> [0, 0.5, 1.5, 2]
    out = sio.align_features(np.array([[0.0], [2.0]]), 4)
    np.testing.assert_allclose(out[:, 0], [0.0, 0.5, 1.5, 2.0])
    np.testing.assert_allclose(sio.align_features(np.array([[1.0], [3.0], [5.0]]), 1), [[3.0]])


def test_segmentation_readers_fail_with_one_line(tmp_path):
    (tmp_path / "mapping.txt").write_text("0 a\nx b\n")
    with pytest.raises(sio.SegmentationFormatError, match=r"mapping\.txt: line 2"):
        sio.read_mapping(tmp_path / "mapping.txt")
    (tmp_path / "v.txt").write_text("")
    with pytest.raises(sio.SegmentationFormatError, match=r"v\.txt: empty"):
        sio.read_frame_labels(tmp_path / "v.txt")
    np.save(tmp_path / "w_c.npy", np.zeros(3))
    with pytest.raises(sio.SegmentationFormatError, match=r"w_c\.npy: expected a \(windows, dim\)"):
        sio.read_features(tmp_path / "w_c.npy")


def test_command_scores_the_standin_split(data, tmp_path):
    root, _ = data
    folder = sio.annotations_dir(root, "Breakfast")
    split = folder / "splits/test.split1.bundle"
    pred = tmp_path / "pred"
    pred.mkdir()
    for video in sio.read_split(split):
        (pred / f"{video}.txt").write_text((folder / "groundTruth" / f"{video}.txt").read_text())
    out = json.loads(tas_metrics_command(folder / "groundTruth", pred, [], [split], as_json=True))
    assert out["videos"] == 2 and out["accuracy"] == 100.0 and out["edit"] == 100.0
