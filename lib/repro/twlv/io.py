"""Embedding I/O: the official release layout and a packed one-file-per-split format.

Release layout (twelvelabs-io/video-embeddings-evaluation-framework README), per split folder::

    <split_dir>/<id>.json     {"annotation": int, "num_frames": int, "duration": float}
    <split_dir>/<id>_c.npy    float (n_clips, D)   sub-clip embeddings
    <split_dir>/<id>_v.npy    float (D,)           whole-video embedding

A dataset folder holds ``train/`` and ``val/``, optionally under a variant folder
(``uniform/`` or ``multi-clip/``).

Packed layout: one uncompressed ``<split>.npz`` per split with the arrays of
:class:`EmbeddingSplit`. It loads in well under a second for K400-sized data, whereas
the release layout costs one ``json`` plus two ``npy`` reads per video.

Every reader error is an :class:`EmbeddingFormatError` naming the file and what was
expected.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from pathlib import Path

import numpy as np

from repro.core.atomic import atomic_write_bytes, atomic_write_text
from repro.core.errors import InputError

logger = logging.getLogger(__name__)

SPLITS = ("train", "val")
VARIANTS = ("uniform", "multi-clip")
_PACKED_KEYS = ("ids", "labels", "video", "clips", "clip_offsets", "num_frames", "duration")


class EmbeddingFormatError(InputError):
    """An embedding file or folder does not match the expected format."""


@dataclasses.dataclass(frozen=True)
class EmbeddingSplit:
    """All embeddings of one split, ragged clips stored flat.

    Attributes:
        ids: str[n] video ids.
        labels: int64[n] class indices.
        video: float32[n, D] whole-video embeddings (``_v.npy``).
        clips: float32[total_clips, D] sub-clip embeddings of all videos, concatenated.
        clip_offsets: int64[n + 1]; video ``i`` owns ``clips[clip_offsets[i]:clip_offsets[i+1]]``.
        num_frames: int64[n] frame count from the json (-1 if absent).
        duration: float64[n] seconds from the json (NaN if absent).
    """

    ids: np.ndarray
    labels: np.ndarray
    video: np.ndarray
    clips: np.ndarray
    clip_offsets: np.ndarray
    num_frames: np.ndarray
    duration: np.ndarray

    @property
    def num_videos(self) -> int:
        """Number of videos n."""
        return int(self.labels.shape[0])

    @property
    def dim(self) -> int:
        """Embedding dimension D."""
        return int(self.video.shape[1])

    @property
    def clip_video_index(self) -> np.ndarray:
        """int64[total_clips]: the video index of every clip."""
        counts = np.diff(self.clip_offsets)
        return np.repeat(np.arange(self.num_videos, dtype=np.int64), counts)

    def video_clips(self, i: int) -> np.ndarray:
        """float32[n_clips_i, D]: the clips of video ``i``."""
        return self.clips[self.clip_offsets[i] : self.clip_offsets[i + 1]]


def make_split(
    labels: np.ndarray,
    clips_per_video: list[np.ndarray],
    ids: list[str] | None = None,
    video: np.ndarray | None = None,
    num_frames: np.ndarray | None = None,
    duration: np.ndarray | None = None,
) -> EmbeddingSplit:
    """Build an :class:`EmbeddingSplit` from per-video clip arrays.

    Args:
        labels: int[n] class indices.
        clips_per_video: n arrays of shape (n_clips_i, D).
        ids: Video ids; default ``"000000"``, ``"000001"``, ...
        video: float[n, D] video embeddings; default the mean of each video's clips.
        num_frames: int[n]; default -1.
        duration: float[n]; default NaN.

    Returns:
        The split, validated.
    """
    n = len(clips_per_video)
    counts = np.array([c.shape[0] for c in clips_per_video], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    clips = np.concatenate(clips_per_video).astype(np.float32)
    if video is None:
        video = np.stack([c.mean(axis=0) for c in clips_per_video])
    split = EmbeddingSplit(
        ids=np.array(ids if ids is not None else [f"{i:06d}" for i in range(n)], dtype=str),
        labels=np.asarray(labels, dtype=np.int64),
        video=np.asarray(video, dtype=np.float32),
        clips=clips,
        clip_offsets=offsets,
        num_frames=np.full(n, -1, np.int64) if num_frames is None else np.asarray(num_frames),
        duration=np.full(n, np.nan) if duration is None else np.asarray(duration, np.float64),
    )
    validate_split(split, "<in-memory split>")
    return split


def validate_split(split: EmbeddingSplit, source: str, num_classes: int | None = None) -> None:
    """Check shapes, finiteness and labels; raise :class:`EmbeddingFormatError` naming ``source``.

    Args:
        split: The split to check.
        source: File or folder name used in error messages.
        num_classes: If given, labels must lie in ``[0, num_classes)``.
    """
    n = split.labels.shape[0]
    if n == 0:
        raise EmbeddingFormatError(f"{source}: empty split, expected at least one video")
    if split.video.ndim != 2 or split.video.shape[0] != n:
        raise EmbeddingFormatError(
            f"{source}: field 'video' has shape {split.video.shape}, expected ({n}, D)"
        )
    if split.clips.ndim != 2 or split.clips.shape[1] != split.video.shape[1]:
        raise EmbeddingFormatError(
            f"{source}: field 'clips' has shape {split.clips.shape}, "
            f"expected (total_clips, {split.video.shape[1]}) matching 'video'"
        )
    offsets = split.clip_offsets
    if offsets.shape != (n + 1,) or offsets[0] != 0 or offsets[-1] != split.clips.shape[0]:
        raise EmbeddingFormatError(
            f"{source}: field 'clip_offsets' must have {n + 1} entries from 0 to "
            f"{split.clips.shape[0]}"
        )
    if np.any(np.diff(offsets) < 1):
        raise EmbeddingFormatError(f"{source}: every video needs at least one clip")
    for name in ("video", "clips"):
        if not np.isfinite(getattr(split, name)).all():
            raise EmbeddingFormatError(f"{source}: field '{name}' contains NaN or inf")
    _check_labels(split.labels, source, num_classes)


def _check_labels(labels: np.ndarray, source: str, num_classes: int | None) -> None:
    if labels.min() < 0:
        raise EmbeddingFormatError(f"{source}: label {labels.min()} is negative, expected >= 0")
    if num_classes is not None and labels.max() >= num_classes:
        raise EmbeddingFormatError(
            f"{source}: label {labels.max()} out of range, expected 0 <= label < {num_classes}"
        )


# --------------------------------------------------------------------------- release format


def _as_int(value: object) -> int | None:
    """``int(value)`` for ints and integer strings such as ``"3"`` (what ``int()`` accepts)."""
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


def _as_float(value: object) -> float | None:
    """A finite, non-negative float from a number or numeric string, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        out = float(value)
    except ValueError:
        return None
    return out if np.isfinite(out) and out >= 0 else None


def _read_json(path: Path) -> dict:
    """Read and validate one video's json: ``annotation`` (int), optional ``num_frames``
    (int >= 1) and ``duration`` (seconds >= 0), as the release README and the TAL code use.

    Returns:
        The json object with those three fields converted (``annotation`` an int, and
        ``num_frames`` / ``duration`` when present).
    """
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise EmbeddingFormatError(f"{path}: unreadable json ({err})") from err
    if not isinstance(meta, dict):
        raise EmbeddingFormatError(f"{path}: expected a json object, got {type(meta).__name__}")
    if meta.get("annotation") is None:
        raise EmbeddingFormatError(f"{path}: missing field 'annotation' (integer class label)")
    label = _as_int(meta["annotation"])
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
    return meta


def _read_npy(path: Path, ndims: tuple[int, ...], expected: str) -> np.ndarray:
    if not path.is_file():
        raise EmbeddingFormatError(f"{path}: missing file, expected it beside the video's json")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise EmbeddingFormatError(f"{path}: unreadable .npy ({err})") from err
    if arr.ndim not in ndims:
        raise EmbeddingFormatError(f"{path}: array of shape {arr.shape}, expected {expected}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise EmbeddingFormatError(f"{path}: dtype {arr.dtype}, expected floating point")
    if not np.isfinite(arr).all():
        raise EmbeddingFormatError(f"{path}: contains NaN or inf, expected finite values")
    return arr


def _check_file_set(split_dir: Path, ids: list[str]) -> None:
    id_set = set(ids)
    for path in sorted(split_dir.glob("*.npy")):
        stem = path.stem
        base = stem[:-2] if stem.endswith(("_c", "_v")) else stem
        if base not in id_set:
            raise EmbeddingFormatError(
                f"{path}: no matching {base}.json, expected every .npy to have a json"
            )


def read_release_split(
    split_dir: str | Path, num_classes: int | None = None, dim: int | None = None
) -> EmbeddingSplit:
    """Read one split folder in the release format.

    Args:
        split_dir: Folder holding ``<id>.json``, ``<id>_c.npy``, ``<id>_v.npy``.
        num_classes: If given, every label must lie in ``[0, num_classes)``.
        dim: If given, the expected embedding dimension D.

    Returns:
        The split, videos sorted by id.

    Raises:
        EmbeddingFormatError: naming the offending file and what was expected.
    """
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise EmbeddingFormatError(f"{split_dir}: split folder not found")
    ids = sorted(p.stem for p in split_dir.glob("*.json"))
    if not ids:
        raise EmbeddingFormatError(f"{split_dir}: empty split, expected <id>.json files")
    _check_file_set(split_dir, ids)
    labels, clips, videos, frames, durations = [], [], [], [], []
    for vid in ids:
        meta = _read_json(split_dir / f"{vid}.json")
        c = _read_npy(split_dir / f"{vid}_c.npy", (2,), "(n_clips, D)")
        v = _read_npy(split_dir / f"{vid}_v.npy", (1, 2), "(D,)").reshape(-1)
        dim = c.shape[1] if dim is None else dim
        if c.shape[1] != dim or c.shape[0] == 0:
            raise EmbeddingFormatError(
                f"{split_dir / f'{vid}_c.npy'}: shape {c.shape}, expected (n_clips >= 1, {dim})"
            )
        if v.shape[0] != dim:
            raise EmbeddingFormatError(
                f"{split_dir / f'{vid}_v.npy'}: shape {v.shape}, expected ({dim},) like its _c.npy"
            )
        labels.append(meta["annotation"])
        clips.append(c.astype(np.float32, copy=False))
        videos.append(v.astype(np.float32, copy=False))
        frames.append(meta.get("num_frames") or -1)  # validated: absent, None or >= 1
        duration = meta.get("duration")
        durations.append(np.nan if duration is None else duration)
    label_arr = np.asarray(labels, dtype=np.int64)
    _check_labels(label_arr, str(split_dir), num_classes)
    return make_split(
        label_arr, clips, ids, np.stack(videos), np.array(frames), np.array(durations)
    )


def write_release_split(split: EmbeddingSplit, split_dir: str | Path) -> Path:
    """Write ``split`` as release-format files under ``split_dir`` (each file atomically).

    Args:
        split: The embeddings to write.
        split_dir: Target folder; created if missing.

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
        atomic_write_text(split_dir / f"{vid}.json", json.dumps(meta))
        atomic_write_bytes(split_dir / f"{vid}_c.npy", _npy_bytes(split.video_clips(i)))
        atomic_write_bytes(split_dir / f"{vid}_v.npy", _npy_bytes(split.video[i]))
    return split_dir


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr))
    return buf.getvalue()


def resolve_split_dir(root: str | Path, split: str, variant: str | None = None) -> Path:
    """``root/<variant>/<split>`` if a variant is given, else ``root/<split>``."""
    root = Path(root)
    return root / variant / split if variant else root / split


def read_release(
    root: str | Path, variant: str | None = None, num_classes: int | None = None
) -> dict[str, EmbeddingSplit]:
    """Read ``train`` and ``val`` of a release-format dataset folder.

    Args:
        root: Dataset folder, e.g. ``data_root()/twlv_i/Kinetics400``.
        variant: ``"uniform"``, ``"multi-clip"`` or None (splits directly under ``root``).
        num_classes: Optional label bound.

    Returns:
        ``{"train": ..., "val": ...}`` with equal embedding dimension.
    """
    if variant is not None and variant not in VARIANTS:
        raise EmbeddingFormatError(f"{root}: variant {variant!r}, expected one of {VARIANTS}")
    train = read_release_split(resolve_split_dir(root, "train", variant), num_classes)
    val = read_release_split(resolve_split_dir(root, "val", variant), num_classes, dim=train.dim)
    return {"train": train, "val": val}


# --------------------------------------------------------------------------- packed format


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


def split_from_arrays(embeddings: np.ndarray, labels: np.ndarray) -> EmbeddingSplit:
    """A split with one clip per video whose clip and video embeddings are ``embeddings``.

    Args:
        embeddings: float[n, D].
        labels: int[n].
    """
    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    n = x.shape[0]
    split = EmbeddingSplit(
        ids=np.array([f"{i:06d}" for i in range(n)]),
        labels=np.asarray(labels, dtype=np.int64),
        video=x,
        clips=x,
        clip_offsets=np.arange(n + 1, dtype=np.int64),
        num_frames=np.full(n, -1, np.int64),
        duration=np.full(n, np.nan),
    )
    validate_split(split, "<arrays>")
    return split
