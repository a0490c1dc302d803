"""Gaussian Soft-NMS for 1-D segments and the decoding of the localisation head.

Soft-NMS (Bodla et al., ICCV 2017), Gaussian variant: the best remaining segment is kept and
every other segment's score is multiplied by ``exp(-IoU^2 / sigma)``, instead of being
dropped outright. The release's ActionFormer test uses it per class with sigma 0.5 (THUMOS)
or 0.75 (ActivityNet).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def temporal_iou(segment: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one segment float[2] (start, end) with each of float[n, 2]: float[n]."""
    inter = np.clip(
        np.minimum(segment[1], others[:, 1]) - np.maximum(segment[0], others[:, 0]), 0, None
    )
    union = (segment[1] - segment[0]) + (others[:, 1] - others[:, 0]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def soft_nms(
    segments: np.ndarray,
    scores: np.ndarray,
    sigma: float = 0.5,
    min_score: float = 1e-3,
    max_keep: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian Soft-NMS over segments of one class.

    Args:
        segments: float[n, 2] (start, end).
        scores: float[n].
        sigma: Gaussian width; larger decays overlapping scores less.
        min_score: Segments whose decayed score falls below this are dropped.
        max_keep: Keep at most this many (in the order picked), None for all.

    Returns:
        Kept segments float[m, 2] and their decayed scores float[m], best first.
    """
    if sigma <= 0:
        raise ValueError(f"sigma={sigma}: expected > 0")
    segs = np.asarray(segments, dtype=np.float64).reshape(-1, 2).copy()
    left = np.asarray(scores, dtype=np.float64).copy()
    kept_segs, kept_scores = [], []
    while len(left) and (max_keep is None or len(kept_scores) < max_keep):
        best = int(np.argmax(left))  # ties: the earliest segment, a fixed order
        if left[best] < min_score:
            break
        kept_segs.append(segs[best])
        kept_scores.append(left[best])
        segs, left = np.delete(segs, best, 0), np.delete(left, best)
        if len(left):
            iou = temporal_iou(kept_segs[-1], segs)
            left = left * np.exp(-(iou**2) / sigma)
    if not kept_scores:
        return np.zeros((0, 2)), np.zeros(0)
    return np.stack(kept_segs), np.asarray(kept_scores)


def decode_detections(
    scores: np.ndarray,
    dist: np.ndarray,
    class_names: list[str],
    video_id: str,
    sigma: float = 0.5,
    max_segments: int = 100,
    pre_threshold: float = 0.01,
) -> pd.DataFrame:
    """Candidate segments of one video from the head's outputs, Soft-NMS per class.

    Args:
        scores: float[K, T] sigmoid class scores per step.
        dist: float[2, T] distances to start and end per step (steps).
        class_names: The K action names.
        video_id: Written into every row.
        sigma: Soft-NMS width.
        max_segments: Best segments kept per video after Soft-NMS (over classes).
        pre_threshold: Candidates scoring below this are not considered.

    Returns:
        Rows ``video_id, t_start, t_end, label, score`` (steps), best first.
    """
    length = scores.shape[1]
    centre = np.arange(length) + 0.5
    start = np.clip(centre - dist[0], 0, length)
    end = np.clip(centre + dist[1], 0, length)
    rows = []
    for k, name in enumerate(class_names):
        keep = (scores[k] >= pre_threshold) & (end > start)
        if not keep.any():
            continue
        segs, kept = soft_nms(
            np.stack([start[keep], end[keep]], 1), scores[k, keep], sigma, max_keep=max_segments
        )
        rows += [(video_id, s, e, name, p) for (s, e), p in zip(segs, kept, strict=True)]
    out = pd.DataFrame(rows, columns=["video_id", "t_start", "t_end", "label", "score"])
    return out.sort_values("score", ascending=False, kind="stable").head(max_segments)
