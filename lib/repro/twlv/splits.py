"""The in-memory form of one split of video embeddings, and its validation.

:class:`EmbeddingSplit` is what every reader returns (:mod:`repro.twlv.release_files` for
the release's one-json-two-npy-per-video layout, :mod:`repro.twlv.io` for the packed
``.npz``) and what the probes take. Every validation error is an
:class:`EmbeddingFormatError` (an :class:`~repro.core.errors.InputError`) naming the file or
folder and what was expected.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from repro.core.errors import InputError

SPLITS = ("train", "val")
VARIANTS = ("uniform", "multi-clip")


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
    check_labels(split.labels, source, num_classes)


def check_labels(labels: np.ndarray, source: str, num_classes: int | None) -> None:
    """Labels must be >= 0 and, if ``num_classes`` is given, below it; errors name ``source``."""
    if labels.min() < 0:
        raise EmbeddingFormatError(f"{source}: label {labels.min()} is negative, expected >= 0")
    if num_classes is not None and labels.max() >= num_classes:
        raise EmbeddingFormatError(
            f"{source}: label {labels.max()} out of range, expected 0 <= label < {num_classes}"
        )


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
