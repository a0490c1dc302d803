"""Training and inference of the temporal models on frozen features (full batch, one seed).

Inputs are per-stream features float[n, T, D] (already standardised) and labels
int64[n, T]; every stream has the same length, so a whole split is one batch, as the
release's ActivityNet recipe makes it by resizing every video to 192 steps.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch

from repro.twlv.soft_nms import decode_detections
from repro.twlv.temporal_models import (
    LocalisationHead,
    MultiStageTCN,
    localisation_loss,
    localisation_targets,
    segmentation_loss,
)


@contextmanager
def seeded_torch(seed: int):
    """Seed torch's global generator (initialisers, dropout) inside, restore it after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _channels_first(x: np.ndarray) -> torch.Tensor:
    """float[n, T, D] -> float32 tensor [n, D, T]."""
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).permute(0, 2, 1)


def fit_segmenter(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    channels: int,
    layers: int,
    stages: int,
    epochs: int,
    lr: float,
    seed: int,
) -> MultiStageTCN:
    """Train a :class:`MultiStageTCN` on features ``x`` float[n, T, D], labels ``y`` int[n, T]."""
    feats, labels = _channels_first(x), torch.from_numpy(np.asarray(y, dtype=np.int64))
    with seeded_torch(seed):
        model = MultiStageTCN(feats.shape[1], channels, n_classes, layers, stages)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        for _ in range(epochs):
            loss = segmentation_loss(model(feats), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def predict_segments(model: MultiStageTCN, x: np.ndarray) -> np.ndarray:
    """int64[n, T] per-step classes from the last stage."""
    with torch.no_grad():
        return model(_channels_first(x))[-1].argmax(dim=1).numpy()


def fit_detector(
    x: np.ndarray,
    y: np.ndarray,
    n_actions: int,
    channels: int,
    layers: int,
    epochs: int,
    lr: float,
    seed: int,
) -> LocalisationHead:
    """Train a :class:`LocalisationHead`; labels 0 = background, 1..n_actions actions.

    AdamW with weight decay 0.05 and gradient clipping at 1.0, as the release's
    ActionFormer recipe (no warm-up: a few dozen full-batch steps).
    """
    feats, labels = _channels_first(x), torch.from_numpy(np.asarray(y, dtype=np.int64))
    targets = localisation_targets(labels, n_actions)
    with seeded_torch(seed):
        model = LocalisationHead(feats.shape[1], channels, n_actions, layers)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
        model.train()
        for _ in range(epochs):
            cls, dist = model(feats)
            loss = localisation_loss(cls, dist, targets)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    model.eval()
    return model


def detect(
    model: LocalisationHead,
    x: np.ndarray,
    action_names: list[str],
    video_ids: list[str],
    sigma: float,
    max_segments: int,
) -> pd.DataFrame:
    """Detections ``video_id, t_start, t_end, label, score`` (steps) of every stream."""
    with torch.no_grad():
        cls, dist = model(_channels_first(x))
    scores, dist = torch.sigmoid(cls).numpy(), dist.numpy()
    parts = [
        decode_detections(scores[i], dist[i], action_names, vid, sigma, max_segments)
        for i, vid in enumerate(video_ids)
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["video_id", "t_start", "t_end", "label", "score"])
    return pd.concat(parts, ignore_index=True)
