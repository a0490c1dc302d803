"""Temporal action segmentation scores as the TWLV-I release computes them (paper Table 12).

Frame accuracy, segmental Edit and F1@{10, 25, 50}, following the arithmetic of the
release's ``temporal_action_segmentation/utils/eval.py`` (the MS-TCN / ASFormer
evaluation that video-mamba-suite inherited), including its quirks, because the paper's
numbers were produced by it:

* **Segments.** A segment starts at its first frame; it ends at the first frame of the
  next segment, except the last segment of a video, which ends at the index of the last
  frame (``n - 1``, not ``n``). So a one-frame segment at the end has zero length and can
  never be matched.
* **Background.** Frames whose label is in ``background`` start and end no segment: they
  are left out of Edit and F1, but counted in the frame accuracy. The release always
  passes ``["background"]`` (GTEA has that class; 50Salads' ``action_start`` /
  ``action_end`` and Breakfast's ``SIL`` are scored as actions): :data:`RELEASE_BACKGROUND`.
* **Matching.** Each predicted segment is compared with every ground-truth segment
  (IoU times "same label"), takes the first best one (``argmax``), and is a true
  positive only if that IoU reaches the threshold and that ground-truth segment is not
  already taken: a prediction whose best match is taken is a false positive even if a
  second, free segment would also qualify.
* **Accumulation over videos.** Accuracy is correct frames over all ground-truth frames;
  Edit is the mean over videos of ``(1 - levenshtein / max(len)) * 100``, in float32 as
  the release's distance matrix is float32; F1 uses true/false positives and false
  negatives summed over videos, and is 0 when precision and recall are both 0 or undefined.
* **Prediction length.** Accuracy reads the first ``len(ground truth)`` predicted frames;
  Edit and F1 use the whole prediction. (The release upsamples predictions of
  sub-sampled features, e.g. 50Salads at ``sample_rate=2``, so they may be up to
  ``sample_rate - 1`` frames longer.) A shorter prediction is an error.

Two cases where the release has no number, and what this module does:

* ground truth and prediction both background-only: the release's Edit divides 0 by 0
  and gives NaN (which makes the mean Edit NaN); so does this function;
* ground truth background-only but prediction not: the release's F1 crashes (``argmax``
  of an empty sequence); here every predicted segment counts as a false positive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: IoU thresholds of F1@{10, 25, 50}.
OVERLAPS = (0.10, 0.25, 0.50)
#: The background labels the release's evaluation excludes from Edit and F1.
RELEASE_BACKGROUND = ("background",)


def segments(
    frames: Sequence[str], background: Sequence[str] = ()
) -> tuple[list[str], list[int], list[int]]:
    """Labels, starts and ends of the non-background segments of one video.

    Boundaries follow the release: ``end`` is the first frame of the next segment, and
    ``len(frames) - 1`` for a segment that runs to the end of the video.

    Args:
        frames: One action name per frame (at least one frame).
        background: Names that form no segment.

    Returns:
        ``(labels, starts, ends)``, three lists of equal length.
    """
    if len(frames) == 0:
        raise ValueError("a video needs at least one frame")
    bg = set(background)
    labels: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    previous = frames[0]
    if previous not in bg:
        labels.append(previous)
        starts.append(0)
    for index, label in enumerate(frames):
        if label == previous:
            continue
        if label not in bg:
            labels.append(label)
            starts.append(index)
        if previous not in bg:
            ends.append(index)
        previous = label
    if previous not in bg:
        ends.append(len(frames) - 1)
    return labels, starts, ends


def levenshtein(a: Sequence[str], b: Sequence[str]) -> int:
    """Edit distance (insert, delete, substitute; cost 1 each) between two label lists."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous_diagonal, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            substitute = previous_diagonal + (x != y)
            previous_diagonal = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, substitute)
    return row[-1]


def edit_score(
    prediction: Sequence[str], ground_truth: Sequence[str], background: Sequence[str] = ()
) -> np.float32:
    """Segmental Edit of one video in percent, as float32 like the release (NaN if both empty)."""
    p = segments(prediction, background)[0]
    y = segments(ground_truth, background)[0]
    longest = max(len(p), len(y))
    distance = np.float32(levenshtein(p, y))
    if longest == 0:
        return np.float32(np.nan)  # the release's 0 / 0
    return (np.float32(1) - distance / np.float32(longest)) * np.float32(100)


def f1_counts(
    prediction: Sequence[str],
    ground_truth: Sequence[str],
    overlap: float,
    background: Sequence[str] = (),
) -> tuple[int, int, int]:
    """True positives, false positives and false negatives of one video at one IoU threshold."""
    p_label, p_start, p_end = segments(prediction, background)
    y_label, y_start, y_end = segments(ground_truth, background)
    if not y_label:
        return 0, len(p_label), 0  # the release crashes here; every prediction is unmatched
    y_start_a, y_end_a = np.asarray(y_start), np.asarray(y_end)
    y_label_a = np.asarray(y_label, dtype=object)
    taken = np.zeros(len(y_label), dtype=bool)
    tp = fp = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for label, start, end in zip(p_label, p_start, p_end, strict=True):
            inter = np.minimum(end, y_end_a) - np.maximum(start, y_start_a)
            union = np.maximum(end, y_end_a) - np.minimum(start, y_start_a)
            # float division: a zero union (two zero-length final segments) gives NaN,
            # which argmax picks first and which fails the threshold, as in the release
            iou = inter / union.astype(float) * (y_label_a == label)
            best = int(np.argmax(iou))
            if iou[best] >= overlap and not taken[best]:
                tp += 1
                taken[best] = True
            else:
                fp += 1
    return tp, fp, int(len(y_label) - taken.sum())


def f1_from_counts(tp: float, fp: float, fn: float) -> float:
    """F1 in percent from summed counts; 0 where precision and recall are 0 or undefined."""
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    if precision + recall == 0 or np.isnan(precision + recall):
        return 0.0  # the release's nan_to_num of 0/0
    return float(2.0 * precision * recall / (precision + recall) * 100)


def segmentation_scores(
    ground_truth: Sequence[Sequence[str]],
    predictions: Sequence[Sequence[str]],
    background: Sequence[str] = (),
) -> dict[str, float]:
    """Accuracy, Edit and F1@{10, 25, 50} (percent) over a set of videos, as the release.

    Args:
        ground_truth: One list of per-frame action names per video.
        predictions: The predicted names, same videos in the same order; each at least as
            long as its ground truth (longer predictions: see the module docstring).
        background: Names excluded from Edit and F1 (the release: :data:`RELEASE_BACKGROUND`).

    Returns:
        ``{"accuracy", "edit", "f1@10", "f1@25", "f1@50"}``.

    Raises:
        ValueError: no videos, different numbers of videos, an empty video, or a
            prediction shorter than its ground truth.
    """
    if len(ground_truth) != len(predictions):
        raise ValueError(
            f"{len(ground_truth)} ground-truth videos but {len(predictions)} predictions"
        )
    if not ground_truth:
        raise ValueError("no videos to score")
    correct = total = 0
    edit = np.float32(0)
    counts = np.zeros((len(OVERLAPS), 3))
    for index, (gt, pred) in enumerate(zip(ground_truth, predictions, strict=True)):
        if len(pred) < len(gt):
            raise ValueError(f"video {index}: {len(pred)} predicted frames, expected >= {len(gt)}")
        correct += sum(g == p for g, p in zip(gt, pred, strict=False))
        total += len(gt)
        edit = edit + edit_score(pred, gt, background)
        for k, overlap in enumerate(OVERLAPS):
            counts[k] += f1_counts(pred, gt, overlap, background)
    mean_edit = edit / np.float32(len(ground_truth))
    scores = {"accuracy": 100 * correct / total, "edit": float(mean_edit)}
    for overlap, (tp, fp, fn) in zip(OVERLAPS, counts, strict=True):
        scores[f"f1@{round(overlap * 100)}"] = f1_from_counts(tp, fp, fn)
    return scores
