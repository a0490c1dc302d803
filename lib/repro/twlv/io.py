"""Embedding I/O entry points: the packed one-file-per-split format, and both layouts at once.

The release layout (one json and two ``.npy`` per video) is read and written by
:mod:`repro.twlv.release_files`; the in-memory :class:`EmbeddingSplit` and its validation live
in :mod:`repro.twlv.splits`. Both are re-exported here, so ``io.read_release`` and
``io.EmbeddingSplit`` keep working.

Packed layout: one uncompressed ``<split>.npz`` per split with the arrays of
:class:`EmbeddingSplit`. It loads in well under a second for K400-sized data, whereas
the release layout costs one ``json`` plus two ``npy`` reads per video.

Every reader error is an :class:`EmbeddingFormatError` naming the file and what was
expected.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from repro.core.atomic import atomic_write_bytes
from repro.twlv.release_files import (  # noqa: F401  (re-exported)
    ORDERS,
    list_ids,
    read_release,
    read_release_split,
    resolve_split_dir,
    write_release_split,
)
from repro.twlv.splits import (  # noqa: F401  (re-exported)
    SPLITS,
    VARIANTS,
    EmbeddingFormatError,
    EmbeddingSplit,
    check_labels,
    make_split,
    split_from_arrays,
    validate_split,
)

_PACKED_KEYS = ("ids", "labels", "video", "clips", "clip_offsets", "num_frames", "duration")


def write_packed(split: EmbeddingSplit, path: str | Path) -> Path:
    """Write ``split`` as one uncompressed ``.npz`` file, atomically."""
    buf = io.BytesIO()
    np.savez(buf, **{k: getattr(split, k) for k in _PACKED_KEYS})
    return atomic_write_bytes(path, buf.getvalue())


def read_packed(path: str | Path, num_classes: int | None = None) -> EmbeddingSplit:
    """Read and validate a packed ``.npz`` split written by :func:`write_packed`."""
    path = Path(path)
    if not path.is_file():
        raise EmbeddingFormatError(f"{path}: packed split file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in _PACKED_KEYS if k not in data.files]
            if missing:
                raise EmbeddingFormatError(
                    f"{path}: missing field(s) {missing}, expected {list(_PACKED_KEYS)}"
                )
            fields = {k: data[k] for k in _PACKED_KEYS}
    except (OSError, ValueError) as err:
        if isinstance(err, EmbeddingFormatError):
            raise
        raise EmbeddingFormatError(f"{path}: unreadable .npz ({err})") from err
    fields["video"] = fields["video"].astype(np.float32, copy=False)
    fields["clips"] = fields["clips"].astype(np.float32, copy=False)
    fields["labels"] = fields["labels"].astype(np.int64, copy=False)
    split = EmbeddingSplit(**fields)
    validate_split(split, str(path), num_classes)
    return split


def convert_release_to_packed(
    root: str | Path, out_dir: str | Path, variant: str | None = None
) -> dict[str, Path]:
    """Convert ``root[/variant]/{train,val}`` to ``out_dir/{train,val}.npz``."""
    splits = read_release(root, variant)
    return {name: write_packed(s, Path(out_dir) / f"{name}.npz") for name, s in splits.items()}


def convert_packed_to_release(packed_dir: str | Path, out_root: str | Path) -> dict[str, Path]:
    """Convert ``packed_dir/{train,val}.npz`` to release folders ``out_root/{train,val}/``."""
    out = {}
    for name in SPLITS:
        split = read_packed(Path(packed_dir) / f"{name}.npz")
        out[name] = write_release_split(split, Path(out_root) / name)
    return out


def load_embeddings(
    root: str | Path, variant: str | None = None, num_classes: int | None = None
) -> dict[str, EmbeddingSplit]:
    """Load ``train``/``val`` from either layout, preferring packed files when present.

    Looks for ``root[/variant]/train.npz``; otherwise reads the release folders.
    """
    base = Path(root) / variant if variant else Path(root)
    if (base / "train.npz").is_file():
        return {s: read_packed(base / f"{s}.npz", num_classes) for s in SPLITS}
    return read_release(root, variant, num_classes)
