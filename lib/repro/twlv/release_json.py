"""One video's json in the release's layout, read as the release's loader reads it.

``annotation`` is whatever ``int()`` accepts (``3``, ``"3"``, ``" 3 "``, ``3.0``; also ``3.7``
and ``true``, which ``int()`` truncates: read the same way and reported as inexact);
``num_frames`` and ``duration``, which the localisation code reads, are checked strictly.
Every error is one line naming the file, the field and what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from repro.twlv.npy_files import read_raw
from repro.twlv.splits import EmbeddingFormatError


def _as_int(value: object) -> int | None:
    """An integer from an int, an integral float or an integer string, else None (strict)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def release_label(value: object) -> tuple[int | None, bool]:
    """The label the release's ``int(label_dict["annotation"])`` would give.

    Returns:
        ``(label, exact)``: ``label`` is None where ``int()`` raises (``"cat"``, ``"2.5"``,
        ``None``, lists, NaN); ``exact`` is False where ``int()`` loses information (a
        non-integral float is truncated, a boolean becomes 0 or 1).
    """
    if not isinstance(value, bool | int | float | str):
        return None, False
    try:
        label = int(value)
    except (ValueError, OverflowError):
        return None, False
    exact = not isinstance(value, bool) and not (isinstance(value, float) and label != value)
    return label, exact


def _as_float(value: object) -> float | None:
    """A finite, non-negative float from a number or numeric string, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        out = float(value)
    except ValueError:
        return None
    return out if np.isfinite(out) and out >= 0 else None


def read_json(path: str | Path) -> tuple[dict, bool]:
    """Read and validate one video's json.

    ``annotation`` is converted as the release does (:func:`release_label`); the optional
    ``num_frames`` (integer >= 1) and ``duration`` (seconds >= 0), which the localisation code
    reads, are checked strictly.

    Returns:
        The json object with those fields converted, and whether the label was exact.
    """
    data = read_raw(path)
    try:
        if isinstance(data, OSError):
            raise data
        meta = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise EmbeddingFormatError(f"{path}: unreadable json ({err})") from err
    if not isinstance(meta, dict):
        raise EmbeddingFormatError(f"{path}: expected a json object, got {type(meta).__name__}")
    if meta.get("annotation") is None:
        raise EmbeddingFormatError(f"{path}: missing field 'annotation' (integer class label)")
    label, exact = release_label(meta["annotation"])
    if label is None:
        raise EmbeddingFormatError(
            f"{path}: field 'annotation' is {meta['annotation']!r}, expected an integer"
        )
    meta["annotation"] = label
    if meta.get("num_frames") is not None:
        frames = _as_int(meta["num_frames"])
        if frames is None or frames < 1:
            raise EmbeddingFormatError(
                f"{path}: field 'num_frames' is {meta['num_frames']!r}, expected an integer >= 1"
            )
        meta["num_frames"] = frames
    if meta.get("duration") is not None:
        duration = _as_float(meta["duration"])
        if duration is None:
            raise EmbeddingFormatError(
                f"{path}: field 'duration' is {meta['duration']!r}, expected seconds >= 0"
            )
        meta["duration"] = duration
    return meta, exact
