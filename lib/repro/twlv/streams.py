"""Synthetic untrimmed streams: the offline stand-in for 50Salads/GTEA/Breakfast and THUMOS14.

A stream is one long video over a single textured background, cut into equal *windows* of
``frames_per_window`` frames (the release's per-clip feature rate; its labels are per
feature step, as 50Salads' are after ``sample_rate``). Actions follow each other with
log-normal durations (in windows), most of them preceded by a background gap, as in the
real datasets where action lengths are right-skewed. Every window has one label.

Action classes are defined by what an encoder must see to name them:

* **appearance**: the sprite's colour (a red, green or blue disk), whatever way it moves;
* **motion**: the direction (up, down, left, right) of a magenta or cyan cross or diamond
  (shape and colour drawn per segment), so nothing static says which class it is;
* **both**: a *yellow* cross or diamond moving up or down: its colour separates it from the
  motion classes, its direction from the other yellow class;
* **background**: no sprite.

Colour is the appearance cue because the motion-sensitive encoder works on grey frame
differences normalised to unit length, which are blind to colour but not to shape (a
sprite's shape survives in the correlation of its frame differences).

Frames are painted with the sprites, textures and colours of :mod:`repro.twlv.synthetic`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.twlv import synthetic

KINDS = ("background", "appearance", "motion", "both")
BACKGROUND = "background"


@dataclass(frozen=True)
class ActionClass:
    """One class of the streams: its name, what defines it, and what a segment may draw."""

    name: str
    kind: str  # one of KINDS
    shapes: tuple[int, ...]  # indices into synthetic.SHAPES a segment draws from
    colours: tuple[int, ...]  # indices into the sprite colours of repro.twlv.synthetic
    directions: tuple[int, ...]  # indices into synthetic.DIRECTIONS a segment draws from


_ALL_DIRECTIONS = (0, 1, 2, 3)
_NEUTRAL = (3, 5)  # cross, diamond: the sprites of the motion-defined classes
_RED, _GREEN, _BLUE, _YELLOW, _MAGENTA, _CYAN = range(6)  # synthetic._COLOURS order
_DISK = 1
ACTION_CLASSES = (
    ActionClass(BACKGROUND, "background", (), (), ()),
    ActionClass("red disk", "appearance", (_DISK,), (_RED,), _ALL_DIRECTIONS),
    ActionClass("green disk", "appearance", (_DISK,), (_GREEN,), _ALL_DIRECTIONS),
    ActionClass("blue disk", "appearance", (_DISK,), (_BLUE,), _ALL_DIRECTIONS),
    ActionClass("moving up", "motion", _NEUTRAL, (_MAGENTA, _CYAN), (0,)),
    ActionClass("moving down", "motion", _NEUTRAL, (_MAGENTA, _CYAN), (1,)),
    ActionClass("moving left", "motion", _NEUTRAL, (_MAGENTA, _CYAN), (2,)),
    ActionClass("moving right", "motion", _NEUTRAL, (_MAGENTA, _CYAN), (3,)),
    ActionClass("yellow up", "both", _NEUTRAL, (_YELLOW,), (0,)),
    ActionClass("yellow down", "both", _NEUTRAL, (_YELLOW,), (1,)),
)
CLASS_NAMES = tuple(c.name for c in ACTION_CLASSES)
N_CLASSES = len(ACTION_CLASSES)


def classes_of_kind(kind: str) -> tuple[int, ...]:
    """Label indices of the classes defined by ``kind`` (e.g. ``"motion"``)."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {KINDS}")
    return tuple(i for i, c in enumerate(ACTION_CLASSES) if c.kind == kind)


@dataclass(frozen=True)
class DurationModel:
    """Log-normal segment durations in windows (median, sigma of the log), at least ``minimum``."""

    action_median: float = 8.0
    action_sigma: float = 0.5
    background_median: float = 4.0
    background_sigma: float = 0.6
    background_prob: float = 0.8  # chance that a background gap precedes an action
    minimum: int = 2

    def draw(self, rng: np.random.Generator, background: bool) -> int:
        """One duration in windows."""
        median, sigma = (
            (self.background_median, self.background_sigma)
            if background
            else (self.action_median, self.action_sigma)
        )
        return max(self.minimum, round(rng.lognormal(np.log(median), sigma)))


def sample_segments(
    n_windows: int, durations: DurationModel, rng: np.random.Generator
) -> list[tuple[int, int, int]]:
    """``(label, start, end)`` segments (end exclusive, in windows) tiling ``[0, n_windows)``.

    Two consecutive actions always differ in class (otherwise they would read as one
    segment); the last segment is cut at the end of the stream.
    """
    segments: list[tuple[int, int, int]] = []
    t, previous = 0, 0
    while t < n_windows:
        if rng.random() < durations.background_prob:
            end = min(n_windows, t + durations.draw(rng, background=True))
            segments.append((0, t, end))
            t, previous = end, 0
            if t >= n_windows:
                break
        choices = [c for c in range(1, N_CLASSES) if c != previous]
        label = int(rng.choice(choices))
        end = min(n_windows, t + durations.draw(rng, background=False))
        segments.append((label, t, end))
        t, previous = end, label
    return segments


def labels_from_segments(segments: list[tuple[int, int, int]], n_windows: int) -> np.ndarray:
    """int64[n_windows] per-window labels of tiling segments."""
    labels = np.zeros(n_windows, np.int64)
    for label, start, end in segments:
        labels[start:end] = label
    return labels


def _paint_segment(frames: np.ndarray, cls: ActionClass, rng: np.random.Generator) -> None:
    """Paint one moving sprite of class ``cls`` into ``frames`` float[L, S, S, 3] in place."""
    length, size = frames.shape[0], frames.shape[1]
    shape = int(rng.choice(cls.shapes))
    direction = int(rng.choice(cls.directions))
    sprite = synthetic.sprite_masks(size)[shape]
    mask = np.zeros((size, size))
    mask[: sprite.shape[0], : sprite.shape[1]] = sprite
    speed = int(rng.integers(1, 3))
    pos = synthetic._trajectory(length, direction, 0, speed, rng.integers(0, size, 2), size)
    rows = (np.arange(size)[None, :] - pos[:, :1]) % size  # (L, S)
    cols = (np.arange(size)[None, :] - pos[:, 1:]) % size
    masks = mask[rows[:, :, None], cols[:, None, :]][..., None]  # (L, S, S, 1)
    colour = synthetic._COLOURS[int(rng.choice(cls.colours))]
    rgb = np.clip(colour + rng.normal(0, 12, 3), 0, 255)
    frames *= 1 - masks
    frames += rgb * masks


def render_stream(
    segments: list[tuple[int, int, int]],
    n_windows: int,
    frames_per_window: int,
    size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """uint8[n_windows * frames_per_window, size, size, 3]: one stream, one background."""
    frames = np.repeat(
        synthetic._background(rng, size)[None], n_windows * frames_per_window, axis=0
    )
    for label, start, end in segments:
        if label:
            part = frames[start * frames_per_window : end * frames_per_window]
            _paint_segment(part, ACTION_CLASSES[label], rng)
    frames += rng.normal(0, 6, frames.shape)
    return np.clip(frames, 0, 255).astype(np.uint8)


def generate_streams(
    n: int,
    n_windows: int,
    frames_per_window: int,
    size: int,
    durations: DurationModel,
    rng: np.random.Generator,
) -> dict[str, object]:
    """``n`` streams.

    Returns:
        ``frames`` uint8[n, n_windows * frames_per_window, size, size, 3], ``labels``
        int64[n, n_windows], ``segments`` (per stream, ``(label, start, end)`` in windows).
    """
    segments = [sample_segments(n_windows, durations, rng) for _ in range(n)]
    frames = np.stack([render_stream(s, n_windows, frames_per_window, size, rng) for s in segments])
    labels = np.stack([labels_from_segments(s, n_windows) for s in segments])
    return {"frames": frames, "labels": labels, "segments": segments}


def windows(frames: np.ndarray, frames_per_window: int) -> np.ndarray:
    """Cut streams [n, W * f, S, S, 3] into windows [n * W, f, S, S, 3] (stream-major)."""
    n, length = frames.shape[:2]
    if length % frames_per_window:
        raise ValueError(f"{length} frames cannot be cut into windows of {frames_per_window}")
    return frames.reshape(n * (length // frames_per_window), frames_per_window, *frames.shape[2:])


def segments_table(segments: list[list[tuple[int, int, int]]], background: bool = False):
    """Long table ``video_id, t_start, t_end, label`` (windows; class names) of all segments.

    Background segments are left out unless ``background``; this is the ground-truth layout
    of :func:`repro.twlv.tal_metrics.detection_map`.
    """
    import pandas as pd

    rows = [
        {"video_id": f"stream{i:03d}", "t_start": float(s), "t_end": float(e),
         "label": CLASS_NAMES[lab]}
        for i, segs in enumerate(segments)
        for lab, s, e in segs
        if background or lab
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["video_id", "t_start", "t_end", "label"])
