"""``repro twlv tas-metrics`` and ``repro twlv tal-metrics``: score your own outputs.

Both commands read files in the layouts the TWLV-I release ships and compute the numbers
its evaluation code would (:mod:`repro.twlv.tas_metrics`, :mod:`repro.twlv.tal_metrics`).
The functions here return the text to print, so that tests call them directly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from repro.core.errors import InputError
from repro.twlv import localization_io, segmentation_io
from repro.twlv.tal_metrics import detection_map
from repro.twlv.tas_metrics import segmentation_scores


def _finite_or_none(value: float) -> float | None:
    """NaN -> None, so that ``--json`` stays valid JSON (the release's 0/0 Edit)."""
    return None if isinstance(value, float) and math.isnan(value) else value


def tas_metrics_command(
    gt_dir: str | Path,
    pred_dir: str | Path,
    background: Sequence[str],
    splits: Sequence[str | Path] = (),
    as_json: bool = False,
) -> str:
    """Accuracy, Edit and F1@{10,25,50} of the predictions in ``pred_dir``.

    Args:
        gt_dir: Folder of ``<video>.txt`` ground truth (the release's ``groundTruth/``).
        pred_dir: Folder of ``<video>.txt`` predictions, one action name per frame.
        background: Names left out of Edit and F1 (the release: ``background``).
        splits: Split bundles. Each split's videos are scored (each needs a prediction)
            and the scores averaged over splits, as the release's ``eval`` does (Edit in
            float32 like its accumulator). None given: every prediction file is scored.
        as_json: Return JSON instead of text.
    """
    runs = [segmentation_io.read_split(s) for s in splits] or [None]
    per_split = [_score_videos(Path(gt_dir), Path(pred_dir), videos, background) for videos in runs]
    scores = dict(per_split[0][1])
    if len(per_split) > 1:  # the release's eval(): plain means, Edit summed in float32
        n = len(per_split)
        scores = {k: sum(s[k] for _, s in per_split) / n for k in scores}
        edit = sum((np.float32(s["edit"]) for _, s in per_split), np.float32(0.0))
        scores["edit"] = float(edit / np.float32(n))
    videos = sum(count for count, _ in per_split)
    if as_json:
        out = {"videos": videos, "background": list(background)}
        out.update({k: _finite_or_none(v) for k, v in scores.items()})
        if len(per_split) > 1:
            out["splits"] = [
                {"split": str(name), "videos": count}
                | {k: _finite_or_none(v) for k, v in part.items()}
                for name, (count, part) in zip(splits, per_split, strict=True)
            ]
        return json.dumps(out, indent=2)
    where = f"{videos} videos" + (f" in {len(per_split)} splits (mean)" if len(splits) > 1 else "")
    return f"{where}: " + "  ".join(f"{k} {v:.2f}" for k, v in scores.items())


def _score_videos(
    gt_dir: Path, pred_dir: Path, videos: list[str] | None, background: Sequence[str]
) -> tuple[int, dict[str, float]]:
    """Number of videos and their scores (all prediction files when ``videos`` is None)."""
    preds = segmentation_io.read_label_folder(pred_dir, videos)
    gts = segmentation_io.read_label_folder(gt_dir, list(preds))
    for video, gt in gts.items():
        if len(preds[video]) < len(gt):
            raise InputError(
                f"{pred_dir / (video + '.txt')}: {len(preds[video])} frames, expected at least "
                f"{len(gt)} (the ground truth's length)"
            )
    return len(gts), segmentation_scores(list(gts.values()), [preds[v] for v in gts], background)


def tal_metrics_command(
    gt_json: str | Path,
    pred_json: str | Path,
    tiou: Sequence[float],
    subset: str | None = None,
    as_json: bool = False,
) -> str:
    """mAP at each tIoU threshold and their average (fractions in JSON, percent in text).

    Args:
        gt_json: Annotations in the release layout (``database -> video -> annotations``).
        pred_json: Detections (``database``) or ActivityNet results (``results``).
        tiou: tIoU thresholds.
        subset: Score only ground truth of this subset (e.g. ``test`` for THUMOS14).
        as_json: Return JSON instead of text lines.
    """
    if not tiou or any(not 0 < t <= 1 for t in tiou):
        raise InputError(f"--tiou {list(tiou)}: expected thresholds in (0, 1]")
    ground_truth, names = localization_io.read_annotations(gt_json, subset)
    predictions = localization_io.read_detections(pred_json, names)
    try:
        result = detection_map(ground_truth, predictions, tiou)
    except ValueError as err:  # e.g. every instance has zero length
        raise InputError(f"{gt_json}: {err}") from err
    if as_json:
        out = {
            "tiou": result["tiou"],
            "mAP": result["mAP"],
            "average": result["average"],
            "videos": int(ground_truth["video_id"].nunique()),
            "instances": len(ground_truth),
            "predictions": len(predictions),
            "subset": subset,
            "per_class": {str(k): v for k, v in result["per_class"].items()},
        }
        return json.dumps(out, indent=2)
    lines = [f"tIoU {t:.2f}: mAP {m * 100:.2f} %" for t, m in zip(tiou, result["mAP"], strict=True)]
    lines.append(f"average mAP: {result['average'] * 100:.2f} %")
    return "\n".join(lines)
