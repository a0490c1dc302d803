"""Gaussian Soft-NMS and detection decoding on hand-checked cases."""

from __future__ import annotations

import numpy as np
import pytest

from repro.twlv.soft_nms import decode_detections, soft_nms, temporal_iou


def test_temporal_iou() -> None:
    others = np.array([[5.0, 15.0], [10.0, 20.0], [0.0, 10.0], [2.0, 4.0]])
    assert np.allclose(temporal_iou(np.array([0.0, 10.0]), others), [1 / 3, 0.0, 1.0, 0.2])


def test_soft_nms_hand_checked() -> None:
    segments = np.array([[0.0, 10.0], [5.0, 15.0], [20.0, 30.0]])
    kept, scores = soft_nms(segments, np.array([0.9, 0.8, 0.7]), sigma=0.5)
    # [0, 10] first; [5, 15] overlaps it with IoU 1/3 and decays to
    # 0.8 * exp(-(1/3)^2 / 0.5) = 0.8 * exp(-2/9) = 0.640590; [20, 30] keeps 0.7.
    assert np.array_equal(kept, [[0, 10], [20, 30], [5, 15]])
    assert scores == pytest.approx([0.9, 0.7, 0.640590], abs=1e-6)


def test_soft_nms_duplicates_limits_and_empty() -> None:
    same = np.array([[0.0, 4.0], [0.0, 4.0]])
    _, scores = soft_nms(same, np.array([0.5, 0.5]), sigma=0.5)
    assert scores == pytest.approx([0.5, 0.5 * np.exp(-2.0)])  # IoU 1: factor exp(-1/0.5)
    _, scores = soft_nms(same, np.array([0.5, 0.5]), sigma=0.5, min_score=0.1)
    assert len(scores) == 1  # 0.068 falls below min_score
    kept, _ = soft_nms(np.array([[0, 1], [2, 3], [4, 5]]), np.array([0.1, 0.3, 0.2]), max_keep=2)
    assert np.array_equal(kept, [[2, 3], [4, 5]])
    kept, scores = soft_nms(np.zeros((0, 2)), np.zeros(0))
    assert kept.shape == (0, 2) and scores.shape == (0,)
    with pytest.raises(ValueError, match="sigma"):
        soft_nms(same, np.array([0.5, 0.5]), sigma=0.0)


def test_decode_detections_hand_checked() -> None:
    scores = np.array([[0.0, 0.9, 0.0, 0.0], [0.0, 0.0, 0.0, 0.5]])  # 2 classes, 4 steps
    dist = np.array([[1.5, 1.0, 1.0, 9.0], [0.5, 1.0, 1.0, 9.0]])
    out = decode_detections(scores, dist, ["a", "b"], "v0", sigma=0.5)
    # Step 1 (centre 1.5, distances 1 and 1): [0.5, 2.5] for "a"; step 3 (centre 3.5,
    # distances 9 and 9): [0, 4] for "b" after clipping to the stream.
    assert list(out["label"]) == ["a", "b"]
    assert np.allclose(out[["t_start", "t_end"]].to_numpy(), [[0.5, 2.5], [0.0, 4.0]])
    assert list(out["score"]) == [0.9, 0.5] and set(out["video_id"]) == {"v0"}
