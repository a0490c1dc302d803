"""Reading and writing the official release's layout: one json and two ``.npy`` per video.

Layout (twelvelabs-io/video-embeddings-evaluation-framework README), per split folder::

    <split_dir>/<id>.json     {"annotation": int, "num_frames": int, "duration": float}
    <split_dir>/<id>_c.npy    float (n_clips, D)   sub-clip embeddings
    <split_dir>/<id>_v.npy    float (D,)           whole-video embedding

Tolerance follows the release's loader (``knn/dataset.py``, ``linear_probing/dataset.py``):
a label is whatever ``int()`` accepts (``3``, ``"3"``, ``" 3 "``, ``3.0``; also ``3.7`` and
``true``, which ``int()`` truncates to 3 and 1: read the same way, with a warning), and
arrays of any real dtype are cast to float32, as ``torch.tensor(..., dtype=float32)`` does.
Where the release would crash later or silently compute garbage (NaN, a missing file, a
dimension that differs between files) we stop at once. Every error is one line naming the
file, the field and what was expected.

File order: the release lists a split with ``os.listdir`` and its random draws index that
list, so ``order="listdir"`` keeps that order (what ``--protocol official`` needs);
``order="sorted"`` (the default) sorts by id, so results do not depend on the file system.
"""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from repro.core.atomic import atomic_write_bytes, atomic_write_text
from repro.twlv.npy_files import read_npy
from repro.twlv.release_json import read_json
from repro.twlv.splits import (
    VARIANTS,
    EmbeddingFormatError,
    EmbeddingSplit,
    check_labels,
    make_split,
)

logger = logging.getLogger(__name__)

ORDERS = ("sorted", "listdir")


def _check_file_set(split_dir: Path, names: list[str], ids: list[str]) -> None:
    id_set = set(ids)
    for name in sorted(f for f in names if f.endswith(".npy")):
        stem = name[:-4]
        base = stem[:-2] if stem.endswith(("_c", "_v")) else stem
        if base not in id_set:
            raise EmbeddingFormatError(
                f"{split_dir / name}: no matching {base}.json, expected every .npy to have a json"
            )


def list_ids(split_dir: Path, order: str = "sorted") -> list[str]:
    """Video ids of a split folder: every ``<id>.json``, sorted or in ``os.listdir`` order."""
    if order not in ORDERS:
        raise ValueError(f"order={order!r}, expected one of {ORDERS}")
    return _ids(os.listdir(split_dir), order)


def _ids(names: list[str], order: str) -> list[str]:
    ids = [f[:-5] for f in names if f.endswith(".json")]
    return sorted(ids) if order == "sorted" else ids


class _Videos(NamedTuple):
    """What a run of videos holds, in the order read."""

    labels: list[int]
    clips: list[np.ndarray]
    videos: list[np.ndarray]
    frames: list[int]
    durations: list[float]
    inexact: list[str]


def _read_videos(folder: str, ids: list[str], dim: int | None, num_classes: int | None):
    """Read and check ``ids`` in order; the first bad file raises, naming itself."""
    out = _Videos([], [], [], [], [], [])
    for vid in ids:
        # strings, not Path objects: 130,000 of those cost seconds at K400 size
        base = os.path.join(folder, vid)
        meta, exact = read_json(base + ".json")
        c = read_npy(base + "_c.npy", (2,), "(n_clips, D)")
        v = read_npy(base + "_v.npy", (1, 2), "(D,)").reshape(-1)
        dim = c.shape[1] if dim is None else dim
        if c.shape[1] != dim or c.shape[0] == 0:
            raise EmbeddingFormatError(
                f"{base}_c.npy: shape {c.shape}, expected (n_clips >= 1, {dim})"
            )
        if v.shape[0] != dim:
            raise EmbeddingFormatError(
                f"{base}_v.npy: shape {v.shape}, expected ({dim},) like its _c.npy"
            )
        check_labels(np.array([meta["annotation"]]), base + ".json", num_classes)
        if not exact:
            out.inexact.append(vid)
        out.labels.append(meta["annotation"])
        out.clips.append(c)
        out.videos.append(v)
        out.frames.append(meta.get("num_frames") or -1)  # validated: absent, None or >= 1
        duration = meta.get("duration")
        out.durations.append(np.nan if duration is None else duration)
    return out


def read_release_split(
    split_dir: str | Path,
    num_classes: int | None = None,
    dim: int | None = None,
    order: str = "sorted",
) -> EmbeddingSplit:
    """Read one split folder in the release format.

    Args:
        split_dir: Folder holding ``<id>.json``, ``<id>_c.npy``, ``<id>_v.npy``.
        num_classes: If given, every label must lie in ``[0, num_classes)``.
        dim: If given, the expected embedding dimension D.
        order: ``"sorted"`` (by id) or ``"listdir"`` (the release's order).

    Returns:
        The split, videos in ``order``.

    Raises:
        EmbeddingFormatError: naming the offending file and what was expected.
    """
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise EmbeddingFormatError(f"{split_dir}: split folder not found")
    if order not in ORDERS:
        raise ValueError(f"order={order!r}, expected one of {ORDERS}")
    names = os.listdir(split_dir)
    ids = _ids(names, order)
    if not ids:
        raise EmbeddingFormatError(f"{split_dir}: empty split, expected <id>.json files")
    _check_file_set(split_dir, names, ids)
    # one process reads: a thread pool was slower (the parsing holds the GIL), and forked
    # readers gained under a second at K400 size (their arrays must travel back)
    labels, clips, videos, frames, durations, inexact = _read_videos(
        str(split_dir), ids, dim, num_classes
    )
    if inexact:
        logger.warning(
            "%s: %d annotation(s) were not integers and were truncated by int() as the "
            "release does, first %s",
            split_dir, len(inexact), split_dir / f"{inexact[0]}.json",
        )  # fmt: skip
    _check_finite(split_dir, ids, clips, videos)
    label_arr = np.asarray(labels, dtype=np.int64)
    return make_split(
        label_arr, clips, ids, np.stack(videos), np.array(frames), np.array(durations)
    )


def _check_finite(split_dir: Path, ids: list[str], clips: list, videos: list) -> None:
    """One pass over the split; on failure, name the first file holding NaN or inf."""
    for suffix, arrays in (("_c", clips), ("_v", videos)):
        if not np.isfinite(np.concatenate([a.reshape(-1) for a in arrays])).all():
            bad = next(i for i, a in enumerate(arrays) if not np.isfinite(a).all())
            raise EmbeddingFormatError(
                f"{split_dir / ids[bad]}{suffix}.npy: contains NaN or inf, expected finite values"
            )


def write_release_split(split: EmbeddingSplit, split_dir: str | Path, durable: bool = True) -> Path:
    """Write ``split`` as release-format files under ``split_dir``.

    Args:
        split: The embeddings to write.
        split_dir: Target folder; created if missing.
        durable: Write each file atomically and synced (the default). False writes plainly,
            about 20x faster on a busy disk: for generated folders that are simply
            rewritten after a crash (tests, benchmarks).

    Returns:
        The folder.
    """
    split_dir = Path(split_dir)
    split_dir.mkdir(parents=True, exist_ok=True)
    for i, vid in enumerate(split.ids):
        meta = {"annotation": int(split.labels[i])}
        if split.num_frames[i] >= 0:
            meta["num_frames"] = int(split.num_frames[i])
        if np.isfinite(split.duration[i]):
            meta["duration"] = float(split.duration[i])
        write_text, write_bytes = (
            (atomic_write_text, atomic_write_bytes)
            if durable
            else (Path.write_text, Path.write_bytes)
        )
        write_text(split_dir / f"{vid}.json", json.dumps(meta))
        write_bytes(split_dir / f"{vid}_c.npy", npy_bytes(split.video_clips(i)))
        write_bytes(split_dir / f"{vid}_v.npy", npy_bytes(split.video[i]))
    return split_dir


def npy_bytes(arr: np.ndarray) -> bytes:
    """The bytes ``np.save`` writes for ``arr`` (C order)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr))
    return buf.getvalue()


def resolve_split_dir(root: str | Path, split: str, variant: str | None = None) -> Path:
    """``root/<variant>/<split>`` if a variant is given, else ``root/<split>``."""
    root = Path(root)
    return root / variant / split if variant else root / split


def read_release(
    root: str | Path,
    variant: str | None = None,
    num_classes: int | None = None,
    order: str = "sorted",
) -> dict[str, EmbeddingSplit]:
    """Read ``train`` and ``val`` of a release-format dataset folder.

    Args:
        root: Dataset folder, e.g. ``data_root()/twlv_i/Kinetics400``.
        variant: ``"uniform"``, ``"multi-clip"`` or None (splits directly under ``root``).
        num_classes: Optional label bound.
        order: File order within each split (see :func:`read_release_split`).

    Returns:
        ``{"train": ..., "val": ...}`` with equal embedding dimension.
    """
    if variant is not None and variant not in VARIANTS:
        raise EmbeddingFormatError(f"{root}: variant {variant!r}, expected one of {VARIANTS}")
    train = read_release_split(resolve_split_dir(root, "train", variant), num_classes, order=order)
    val = read_release_split(
        resolve_split_dir(root, "val", variant), num_classes, dim=train.dim, order=order
    )
    return {"train": train, "val": val}
