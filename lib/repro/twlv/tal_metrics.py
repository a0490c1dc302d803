"""Temporal action localisation mAP as the TWLV-I release computes it (paper Tables 9-10).

The release scores detections with ActionFormer's ``ANETdetection``
(``temporal_action_localization/libs/utils/metrics.py``, itself adapted from the
ActivityNet and EPIC-Kitchens evaluation code). This module follows its arithmetic step
by step, so that the numbers agree on the same inputs:

* **Ground truth clean-up.** Per video, in file order, instances of zero or negative
  length are dropped, and an instance whose start and end are both within 1e-3 of an
  instance already kept with the same label is dropped as a duplicate.
* **Classes.** The classes are the labels present in the ground truth; mAP is the mean
  over them (a class with ground truth but no prediction has AP 0). Labels are renumbered
  ``0..K-1`` in sorted order and the predictions' labels are mapped the same way; a
  prediction label that does not occur in the ground truth keeps its raw value, exactly
  as the release's ``DataFrame.replace`` leaves it. With the release's annotation files
  (labels ``0..K-1``, all present) such predictions are simply ignored; with gaps in the
  ground-truth labels a raw value can coincide with a renumbered class and be scored
  as that class, as in the release.
* **Matching**, per class and tIoU threshold: predictions in decreasing score order
  (``numpy.argsort`` reversed, so tied scores are ordered as the release orders them);
  each takes, among the same video's ground truth of its class in decreasing tIoU
  order (ties again by reversed ``argsort``), the first one not yet taken, stopping at
  the first tIoU below the threshold. Unmatched predictions, including those for videos
  without ground truth of the class, are false positives.
* **AP**: VOC-2011 interpolated precision-recall area, with cumulative counts in float32
  as the release casts them.

Results are fractions (0..1), like the release's return values (it prints percent).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

#: THUMOS14 thresholds (``linspace(0.3, 0.7, 5)``) and ActivityNet's (``linspace(0.5, 0.95, 10)``).
THUMOS_TIOU = tuple(float(x) for x in np.linspace(0.3, 0.7, 5))
ANET_TIOU = tuple(float(x) for x in np.linspace(0.5, 0.95, 10))
GT_COLUMNS = ("video_id", "t_start", "t_end", "label")
PRED_COLUMNS = ("video_id", "t_start", "t_end", "label", "score")
DUPLICATE_TOL = 1e-3  # seconds; the release's tolerance for duplicate annotations


def drop_duplicates(ground_truth: pd.DataFrame, tol: float = DUPLICATE_TOL) -> pd.DataFrame:
    """Ground truth without empty instances and near-duplicates, per video in row order."""
    keep = []
    kept: dict[Hashable, list[tuple[float, float, Hashable]]] = {}
    for row in ground_truth.itertuples(index=False):
        start, end = float(row.t_start), float(row.t_end)
        if end - start <= 0:
            keep.append(False)
            continue
        same = kept.setdefault(row.video_id, [])
        duplicate = any(
            abs(start - s) <= tol and abs(end - e) <= tol and row.label == lab for s, e, lab in same
        )
        if not duplicate:
            same.append((start, end, row.label))
        keep.append(not duplicate)
    return ground_truth.loc[np.asarray(keep, dtype=bool)].reset_index(drop=True)


def segment_tiou(target: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """tIoU of one ``[start, end]`` segment with each row of ``candidates`` (N x 2)."""
    inter = np.minimum(target[1], candidates[:, 1]) - np.maximum(target[0], candidates[:, 0])
    inter = inter.clip(0)
    union = (candidates[:, 1] - candidates[:, 0]) + (target[1] - target[0]) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter.astype(float) / union


def interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """Area under the precision envelope (VOC 2011) of a precision-recall curve."""
    prec = np.concatenate([[0.0], precision, [0.0]])
    rec = np.concatenate([[0.0], recall, [1.0]])
    prec = np.maximum.accumulate(prec[::-1])[::-1]  # precision envelope from the right
    steps = np.flatnonzero(rec[1:] != rec[:-1]) + 1
    return float(np.sum((rec[steps] - rec[steps - 1]) * prec[steps]))


def class_ap(
    ground_truth: pd.DataFrame, predictions: pd.DataFrame, tiou_thresholds: Sequence[float]
) -> np.ndarray:
    """AP of one class at each threshold (zeros if it has no prediction)."""
    n_thr = len(tiou_thresholds)
    if predictions.empty:
        return np.zeros(n_thr)
    by_video: dict[Hashable, tuple[np.ndarray, np.ndarray]] = {}
    bounds = ground_truth[["t_start", "t_end"]].to_numpy(dtype=float)
    for video, rows in ground_truth.groupby("video_id", sort=False).indices.items():
        by_video[video] = (bounds[rows], np.asarray(rows))
    order = predictions["score"].to_numpy().argsort()[::-1]  # the release's tie order
    pred = predictions.iloc[order]
    pred_bounds = pred[["t_start", "t_end"]].to_numpy(dtype=float)
    taken = np.full((n_thr, len(ground_truth)), False)
    tp = np.zeros((n_thr, len(pred)))
    for i, video in enumerate(pred["video_id"].to_numpy()):
        if video not in by_video:
            continue  # no ground truth of this class in that video: false positive
        gt_bounds, gt_rows = by_video[video]
        tiou = segment_tiou(pred_bounds[i], gt_bounds)
        ranked = tiou.argsort()[::-1]
        for t, threshold in enumerate(tiou_thresholds):
            for j in ranked:
                if tiou[j] < threshold:
                    break
                if taken[t, gt_rows[j]]:
                    continue
                taken[t, gt_rows[j]] = True
                tp[t, i] = 1
                break
    tp_cum = np.cumsum(tp, axis=1).astype(np.float32)
    fp_cum = np.cumsum(1 - tp, axis=1).astype(np.float32)
    recall = tp_cum / np.float32(len(ground_truth))
    precision = tp_cum / (tp_cum + fp_cum)
    return np.array([interpolated_ap(precision[t], recall[t]) for t in range(n_thr)])


def check_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ValueError naming ``what`` if ``frame`` lacks one of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}; expected {list(columns)}")


def detection_map(
    ground_truth: pd.DataFrame, predictions: pd.DataFrame, tiou_thresholds: Sequence[float]
) -> dict:
    """mAP at each tIoU threshold and their average, equal to the release's ``ANETdetection``.

    Args:
        ground_truth: Columns ``video_id, t_start, t_end, label`` (seconds), one row per
            instance (already restricted to the evaluated subset).
        predictions: Columns ``video_id, t_start, t_end, label, score``; may be empty.
        tiou_thresholds: e.g. :data:`THUMOS_TIOU` or :data:`ANET_TIOU`.

    Returns:
        ``{"tiou": [...], "mAP": [...], "average": float, "per_class": {label: [AP...]}}``
        with fractions in 0..1; ``per_class`` is keyed by the ground-truth label.

    Raises:
        ValueError: a missing column, no thresholds, or no ground-truth instance left.
    """
    check_columns(ground_truth, GT_COLUMNS, "ground truth")
    if len(predictions.columns) or len(predictions):
        check_columns(predictions, PRED_COLUMNS, "predictions")
    else:
        predictions = pd.DataFrame({c: [] for c in PRED_COLUMNS})
    thresholds = [float(t) for t in tiou_thresholds]
    if not thresholds:
        raise ValueError("no tIoU thresholds")
    gt = drop_duplicates(ground_truth[list(GT_COLUMNS)].reset_index(drop=True))
    if gt.empty:
        raise ValueError("ground truth: no instance of positive length")
    labels = sorted(gt["label"].unique())
    index = {label: k for k, label in enumerate(labels)}
    gt_class = gt["label"].map(index).to_numpy()
    pred = predictions[list(PRED_COLUMNS)].reset_index(drop=True)
    pred_class = np.array([_class_of(lab, index) for lab in pred["label"]], dtype=np.int64)
    ap = np.zeros((len(thresholds), len(labels)))
    for k in range(len(labels)):
        ap[:, k] = class_ap(
            gt.loc[gt_class == k].reset_index(drop=True),
            pred.loc[pred_class == k].reset_index(drop=True),
            thresholds,
        )
    m_ap = ap.mean(axis=1)
    return {
        "tiou": thresholds,
        "mAP": [float(x) for x in m_ap],
        "average": float(m_ap.mean()),
        "per_class": {_plain(lab): [float(x) for x in ap[:, k]] for k, lab in enumerate(labels)},
    }


def _class_of(label: Hashable, index: dict[Hashable, int]) -> int:
    """Class index a prediction label is scored as; -1 for none.

    A label of the ground truth maps to its index; any other label keeps its raw value
    (the release's ``DataFrame.replace``), which counts as class ``k`` when it equals ``k``.
    """
    if label in index:
        return index[label]
    is_number = isinstance(label, (int, float, np.integer, np.floating))
    if is_number and not isinstance(label, (bool, np.bool_)) and float(label).is_integer():
        k = int(label)
        return k if 0 <= k < len(index) else -1
    return -1


def _plain(label: Hashable) -> Hashable:
    """A numpy scalar label as the Python value (for JSON)."""
    return label.item() if isinstance(label, np.generic) else label
