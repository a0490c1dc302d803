"""Readers for the TWLV-I release's temporal action localisation files (paper Tables 9-10).

Three layouts, all JSON, as the release ships or writes them:

* **Annotations** (``temporal_action_localization/data/thumos/annotations/thumos14.json``):
  ``{"database": {video: {"subset", "annotations": [{"segment": [s, e], "label_id",
  "label"?}], "duration"?, "fps"?}}}``.
* **Detections** (what ActionFormer's ``load_pred_seg_from_json`` reads):
  ``{"database": {video: [{"segment": [s, e], "label_id", "scores"}]}}``.
* **ActivityNet results** (the challenge submission format):
  ``{"results": {video: [{"segment": [s, e], "label", "score"}]}}``, where ``label`` is a
  class id or a class name from the annotations' ``label`` fields.

And the released per-video features: ``<folder>/{train,val}/<video>.json``
(``num_frames``, ``duration``) beside ``<video>_c.npy`` (float ``(T, D)``, one row per
0.5 s window). The release places window ``t`` at ``t * stride`` seconds with a stride of
``clip_length * (1 - overlap)`` (THUMOS14 0.125 s, ActivityNet 0.25 s) and reads its
centre as half a window later; :func:`window_centres` gives those times.

Every reader raises :class:`LocalizationFormatError` naming the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from repro.core.errors import InputError

#: Where manifest entry ``twlv_i_tal_annotations_thumos14`` puts its file (data-folder relative).
THUMOS_ANNOTATIONS = "twlv_i/annotations/thumos14.json"
#: Feature windows of the release's configs: (clip length s, overlap ratio).
WINDOWS = {"THUMOS14": (0.5, 0.75), "ActivityNet_1.3": (0.5, 0.5)}
#: Annotation subset -> feature folder, as the release's dataset classes map them.
SUBSET_FOLDERS = {
    "THUMOS14": {"validation": "train", "test": "val"},
    "ActivityNet_1.3": {"training": "train", "validation": "val"},
}


class LocalizationFormatError(InputError):
    """A localisation file does not have the release's layout; names the file and field."""


def read_json(path: str | Path) -> Any:
    """Parse a JSON file, or raise :class:`LocalizationFormatError` naming it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise LocalizationFormatError(f"{path}: no such file") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise LocalizationFormatError(f"{path}: unreadable JSON ({err})") from err


def _top(data: Any, path: Path, keys: tuple[str, ...]) -> tuple[str, Mapping]:
    """The first of ``keys`` present at the top level, with its (mapping) value."""
    if isinstance(data, Mapping):
        for key in keys:
            if key in data:
                if not isinstance(data[key], Mapping):
                    raise LocalizationFormatError(
                        f"{path}: field '{key}' must map video ids to entries"
                    )
                return key, data[key]
    expected = " or ".join(f"'{k}'" for k in keys)
    raise LocalizationFormatError(f"{path}: expected a JSON object with field {expected}")


def _segment(event: Any, path: Path, where: str) -> tuple[float, float]:
    if not isinstance(event, Mapping):
        raise LocalizationFormatError(f"{path}: {where} must be an object with 'segment'")
    seg = event.get("segment")
    if (
        not isinstance(seg, (list, tuple))
        or len(seg) != 2
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in seg)
    ):
        raise LocalizationFormatError(
            f"{path}: {where} field 'segment' must be [start, end] in seconds, got {seg!r}"
        )
    return float(seg[0]), float(seg[1])


def _integer(value: Any, path: Path, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise LocalizationFormatError(f"{path}: {field} must be an integer class id, got {value!r}")
    return int(value)


def _number(value: Any, path: Path, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LocalizationFormatError(f"{path}: {field} must be a number, got {value!r}")
    return float(value)


def read_annotations(
    path: str | Path, subset: str | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Ground truth of the release's annotation layout.

    Args:
        path: The annotation JSON.
        subset: Keep only videos of this subset (case-insensitive, as the release's
            ``split`` filter, e.g. ``test`` for THUMOS14); None keeps all.

    Returns:
        ``(ground_truth, names)``: a frame with columns ``video_id, t_start, t_end,
        label`` (label = ``label_id``) in file order, and class name -> id from the
        annotations' optional ``label`` fields (from every subset).
    """
    path = Path(path)
    _, database = _top(read_json(path), path, ("database",))
    rows, names = [], {}
    for video, record in database.items():
        where = f"database['{video}']"
        if not isinstance(record, Mapping) or not isinstance(record.get("annotations"), list):
            raise LocalizationFormatError(f"{path}: {where} needs field 'annotations' (a list)")
        if subset is not None and not isinstance(record.get("subset"), str):
            raise LocalizationFormatError(f"{path}: {where} needs field 'subset' (a string)")
        # names from every subset, so that a class missing from the scored subset still maps
        # to its id (and is then a label without ground truth, as in the release)
        chosen = subset is None or record["subset"].lower() == subset.lower()
        for i, event in enumerate(record["annotations"]):
            start, end = _segment(event, path, f"{where}.annotations[{i}]")
            if "label_id" not in event:
                raise LocalizationFormatError(
                    f"{path}: {where}.annotations[{i}] needs field 'label_id' (integer class id)"
                )
            label = _integer(event["label_id"], path, f"{where}.annotations[{i}].label_id")
            if isinstance(event.get("label"), str):
                names[event["label"]] = label
            if chosen:
                rows.append((str(video), start, end, label))
    frame = pd.DataFrame(rows, columns=["video_id", "t_start", "t_end", "label"])
    if frame.empty:
        chosen = f" of subset '{subset}'" if subset is not None else ""
        raise LocalizationFormatError(f"{path}: no annotated instance{chosen}")
    return frame, names


def read_detections(path: str | Path, names: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Predictions in the release's detection layout or the ActivityNet results layout.

    Args:
        path: The predictions JSON (``database`` or ``results`` at the top level).
        names: Class name -> id, to read ActivityNet results whose ``label`` is a name.

    Returns:
        Columns ``video_id, t_start, t_end, label, score`` in file order (may be empty).
    """
    path = Path(path)
    key, database = _top(read_json(path), path, ("database", "results"))
    label_key, score_key = ("label_id", "scores") if key == "database" else ("label", "score")
    rows = []
    for video, events in database.items():
        if not isinstance(events, list):
            raise LocalizationFormatError(f"{path}: {key}['{video}'] must be a list of detections")
        for i, event in enumerate(events):
            where = f"{key}['{video}'][{i}]"
            start, end = _segment(event, path, where)
            for needed in (label_key, score_key):
                if needed not in event:
                    raise LocalizationFormatError(f"{path}: {where} needs field '{needed}'")
            label = event[label_key]
            if isinstance(label, str) and key == "results":
                if not names or label not in names:
                    raise LocalizationFormatError(
                        f"{path}: {where}.label {label!r} is not a class name of the annotations"
                    )
                label = names[label]
            label = _integer(label, path, f"{where}.{label_key}")
            score = _number(event[score_key], path, f"{where}.{score_key}")
            rows.append((str(video), start, end, label, score))
    return pd.DataFrame(rows, columns=["video_id", "t_start", "t_end", "label", "score"])


def read_feature_video(folder: str | Path, video: str) -> tuple[np.ndarray, dict[str, float]]:
    """One video's released window features and metadata.

    Args:
        folder: A split folder of the features (``<dataset>/train`` or ``/val``).
        video: The video id.

    Returns:
        ``(features, meta)``: float32 ``(T, D)`` and ``{"num_frames", "duration", "fps"}``.
    """
    folder = Path(folder)
    meta_path, feat_path = folder / f"{video}.json", folder / f"{video}_c.npy"
    meta = read_json(meta_path)
    if not isinstance(meta, Mapping):
        raise LocalizationFormatError(f"{meta_path}: expected a JSON object")
    for field in ("num_frames", "duration"):
        if field not in meta:
            raise LocalizationFormatError(f"{meta_path}: missing field '{field}' (a number)")
    num_frames = _number(meta["num_frames"], meta_path, "field 'num_frames'")
    duration = _number(meta["duration"], meta_path, "field 'duration'")
    if duration <= 0:
        raise LocalizationFormatError(f"{meta_path}: field 'duration' must be > 0 s")
    try:
        feats = np.load(feat_path, allow_pickle=False)
    except FileNotFoundError as err:
        raise LocalizationFormatError(
            f"{feat_path}: missing, expected beside {meta_path.name}"
        ) from err
    except (OSError, ValueError) as err:
        raise LocalizationFormatError(f"{feat_path}: unreadable .npy ({err})") from err
    if feats.ndim != 2 or feats.shape[0] == 0:
        raise LocalizationFormatError(
            f"{feat_path}: expected a (windows, dim) array, got shape {feats.shape}"
        )
    info = {"num_frames": num_frames, "duration": duration, "fps": num_frames / duration}
    return feats.astype(np.float32), info


def window_centres(n_windows: int, clip_length: float, overlap: float) -> np.ndarray:
    """Centre time (s) of each feature window: ``t * stride + clip_length / 2``."""
    stride = clip_length * (1.0 - overlap)
    return np.arange(n_windows) * stride + clip_length / 2
