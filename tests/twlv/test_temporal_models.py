"""Shapes, targets and losses of the temporal models; training is seeded and learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from repro.twlv import temporal_fit as fit
from repro.twlv.temporal_models import (
    LocalisationHead,
    MultiStageTCN,
    diou_loss_1d,
    localisation_loss,
    localisation_targets,
    segmentation_loss,
)


def test_shapes() -> None:
    x = torch.randn(3, 7, 20)
    logits = MultiStageTCN(7, 8, 5, layers=3, stages=2)(x)
    assert logits.shape == (2, 3, 5, 20)
    loss = segmentation_loss(logits, torch.randint(0, 5, (3, 20)))
    assert loss.ndim == 0 and torch.isfinite(loss)
    cls, dist = LocalisationHead(7, 8, 4, layers=2)(x)
    assert cls.shape == (3, 4, 20) and dist.shape == (3, 2, 20) and (dist >= 0).all()


def test_localisation_targets_hand_checked() -> None:
    targets = localisation_targets(torch.tensor([[0, 2, 2, 2, 0, 1]]), n_actions=2)
    assert targets["pos"].tolist() == [[False, True, True, True, False, True]]
    # Step 1 (centre 1.5) lies in [1, 4): 0.5 to the start, 2.5 to the end.
    assert targets["dist"][0, :, 1].tolist() == [0.5, 2.5]
    assert targets["dist"][0, :, 3].tolist() == [2.5, 0.5]
    assert targets["dist"][0, :, 5].tolist() == [0.5, 0.5]
    assert targets["dist"][0, :, 0].tolist() == [0.0, 0.0]
    assert targets["cls"][0, :, 1].tolist() == [0.0, 1.0]  # class 2 is the second action
    assert targets["cls"][0, :, 0].tolist() == [0.0, 0.0]


def test_diou_is_zero_for_a_perfect_box_and_positive_otherwise() -> None:
    target = torch.tensor([[1.0, 2.0]])
    assert float(diou_loss_1d(target, target)) == pytest.approx(0.0)
    # Prediction (1, 1) vs (1, 2): IoU 2/3, centres 0.5 apart over an enclosing length 3.
    assert float(diou_loss_1d(torch.tensor([[1.0, 1.0]]), target)) == pytest.approx(
        1 - 2 / 3 + 0.25 / 9
    )
    labels = torch.tensor([[0, 1, 1, 0]])
    cls, dist = torch.zeros(1, 1, 4), torch.ones(1, 2, 4)
    assert torch.isfinite(localisation_loss(cls, dist, localisation_targets(labels, 1)))


def _toy(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat(rng.integers(0, 3, (4, 6)), 5, axis=1)  # 4 streams, 30 steps
    return np.eye(3)[labels] + rng.normal(0, 0.1, (4, 30, 3)), labels


def test_segmenter_learns_and_is_seeded() -> None:
    x, y = _toy(0)
    a = fit.predict_segments(fit.fit_segmenter(x, y, 3, 8, 2, 2, 40, 0.02, seed=1), x)
    b = fit.predict_segments(fit.fit_segmenter(x, y, 3, 8, 2, 2, 40, 0.02, seed=1), x)
    assert np.array_equal(a, b)
    assert np.mean(a == y) > 0.9


def test_detector_outputs_detections() -> None:
    x, y = _toy(1)
    model = fit.fit_detector(x, y, 2, 8, 2, 30, 0.02, seed=0)
    found = fit.detect(model, x, ["a", "b"], [f"v{i}" for i in range(4)], 0.5, 10)
    assert list(found.columns) == ["video_id", "t_start", "t_end", "label", "score"]
    assert len(found) and (found["t_end"] > found["t_start"]).all()
    assert found.groupby("video_id").size().max() <= 10
