"""Procedural appearance-vs-motion videos: the offline stand-in for K400/MiT vs SSv2/Diving48.

Each video shows one sprite moving over a textured background. Two labels are drawn
independently:

* appearance (like K400/MiT): sprite shape x colour, ``n_shapes * n_colours`` classes;
* motion (like SSv2/Diving48): direction (up, down, left, right) x pattern (``straight``:
  one direction throughout; ``bounce``: the direction reverses half-way, e.g. "up then
  down"), 8 classes.

Nuisances drawn per video: background texture and hue, start position, speed (1 or 2
pixels per frame), colour jitter and per-frame pixel noise. Positions wrap around the
frame edges. A video has ``n_clips * frames_per_clip`` frames, so it can be cut into
``n_clips`` sub-clips (the release's ``multi-clip`` variant) or subsampled uniformly (the
``uniform`` variant).

Reversal: playing a video backwards maps straight-d to straight-opposite(d) and leaves
bounce-d as bounce-d (backwards, "up then down" is again "up then down").
"""

from __future__ import annotations

import numpy as np

DIRECTIONS = ("up", "down", "left", "right")
PATTERNS = ("straight", "bounce")
SHAPES = ("square", "disk", "triangle", "cross", "ring", "diamond")
_COLOURS = np.array(
    [[230, 40, 40], [40, 200, 60], [50, 80, 240], [240, 220, 40], [200, 60, 220], [40, 220, 220]]
)
# (dy, dx) per direction; image row 0 is the top, so "up" is dy = -1.
_STEPS = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]])
_OPPOSITE = np.array([1, 0, 3, 2])


def motion_label(direction: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """Motion class ``pattern * 4 + direction`` (0-3 straight, 4-7 bounce)."""
    return np.asarray(pattern) * len(DIRECTIONS) + np.asarray(direction)


def motion_class_names() -> list[str]:
    """Names of the 8 motion classes in label order, e.g. ``"bounce up"``."""
    return [f"{p} {d}" for p in PATTERNS for d in DIRECTIONS]


def appearance_class_names(n_shapes: int, n_colours: int) -> list[str]:
    """Names of the appearance classes in label order, e.g. ``"disk, colour 1"``."""
    return [f"{SHAPES[s]}, colour {c}" for s in range(n_shapes) for c in range(n_colours)]


def reversed_motion_label(labels: np.ndarray) -> np.ndarray:
    """Motion label of each video played backwards (straight d -> opposite d; bounce unchanged)."""
    labels = np.asarray(labels)
    direction, pattern = labels % 4, labels // 4
    return np.where(pattern == 0, _OPPOSITE[direction], labels)


def sprite_masks(size: int) -> np.ndarray:
    """bool[len(SHAPES), s, s] sprite masks with ``s = max(size // 4, 4)``."""
    s = max(size // 4, 4)
    yy, xx = np.mgrid[:s, :s] + 0.5
    c, r = s / 2, s / 2
    dist = np.hypot(yy - c, xx - c)
    masks = [
        np.ones((s, s), bool),
        dist <= r,
        (yy >= s - 2 * np.abs(xx - c) * 1.0) & (yy <= s),
        (np.abs(yy - c) < s / 6 + 0.5) | (np.abs(xx - c) < s / 6 + 0.5),
        (dist <= r) & (dist >= r * 0.5),
        np.abs(yy - c) + np.abs(xx - c) <= r,
    ]
    return np.stack(masks)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """float[size, size, 3] smooth random texture with a random hue, values in [0, 140]."""
    coarse = rng.uniform(0, 1, (size // 4 + 1, size // 4 + 1))
    texture = np.kron(coarse, np.ones((4, 4)))[:size, :size]
    hue = rng.uniform(0.3, 1.0, 3)
    return 40 + 100 * texture[..., None] * hue


def _trajectory(length: int, direction: int, pattern: int, speed: int, start, size: int):
    """int[length, 2] (row, col) sprite positions, wrapped to the frame."""
    t = np.arange(length)
    travel = t if pattern == 0 else np.minimum(t, length - t)
    return (np.asarray(start)[None] + speed * travel[:, None] * _STEPS[direction]) % size


def render_video(
    shape: int,
    colour: int,
    direction: int,
    pattern: int,
    length: int,
    size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """uint8[length, size, size, 3]: one procedurally generated video."""
    mask = np.zeros((size, size), np.float64)
    sprite = sprite_masks(size)[shape]
    mask[: sprite.shape[0], : sprite.shape[1]] = sprite
    pos = _trajectory(
        length, direction, pattern, int(rng.integers(1, 3)), rng.integers(0, size, 2), size
    )
    rows = (np.arange(size)[None, :] - pos[:, :1]) % size  # (length, size)
    cols = (np.arange(size)[None, :] - pos[:, 1:]) % size
    masks = mask[rows[:, :, None], cols[:, None, :]][..., None]  # (length, size, size, 1)
    rgb = np.clip(_COLOURS[colour] + rng.normal(0, 12, 3), 0, 255)
    frames = _background(rng, size)[None] * (1 - masks) + rgb * masks
    frames += rng.normal(0, 6, frames.shape)
    return np.clip(frames, 0, 255).astype(np.uint8)


def generate_split(
    n: int,
    n_clips: int,
    frames_per_clip: int,
    size: int,
    n_shapes: int,
    n_colours: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Videos and labels of one split.

    Returns:
        ``videos`` uint8[n, n_clips * frames_per_clip, size, size, 3], ``appearance`` int64[n],
        ``motion`` int64[n].
    """
    length = n_clips * frames_per_clip
    shape = rng.integers(0, n_shapes, n)
    colour = rng.integers(0, n_colours, n)
    direction = rng.integers(0, len(DIRECTIONS), n)
    pattern = rng.integers(0, len(PATTERNS), n)
    videos = (
        np.stack(
            [
                render_video(shape[i], colour[i], direction[i], pattern[i], length, size, rng)
                for i in range(n)
            ]
        )
        if n
        else np.zeros((0, length, size, size, 3), np.uint8)
    )
    return {
        "videos": videos,
        "appearance": (shape * n_colours + colour).astype(np.int64),
        "motion": motion_label(direction, pattern).astype(np.int64),
    }


def generate_benchmark(
    n_train: int = 800,
    n_val: int = 200,
    n_clips: int = 3,
    frames_per_clip: int = 8,
    size: int = 32,
    n_shapes: int = 4,
    n_colours: int = 2,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The synthetic benchmark: ``train_*`` and ``val_*`` videos and labels.

    Args:
        n_train: Training videos.
        n_val: Validation videos.
        n_clips: Sub-clips per video (multi-clip variant).
        frames_per_clip: Frames per sub-clip.
        size: Frame height and width in pixels.
        n_shapes: Sprite shapes used (<= 6).
        n_colours: Sprite colours used (<= 6); appearance classes = n_shapes * n_colours.
        seed: Seeds everything; equal seeds give byte-identical arrays.

    Returns:
        ``train_videos``/``val_videos`` uint8[n, T, H, W, 3], ``train_appearance``,
        ``train_motion``, ``val_appearance``, ``val_motion`` int64[n].
    """
    if not (1 <= n_shapes <= len(SHAPES) and 1 <= n_colours <= len(_COLOURS)):
        raise ValueError(f"n_shapes {n_shapes} / n_colours {n_colours}, expected 1-6 each")
    if size < 16 or frames_per_clip < 2 or n_clips < 1:
        raise ValueError("expected size >= 16, frames_per_clip >= 2 and n_clips >= 1")
    rng = np.random.default_rng(seed)
    out = {}
    for name, n in (("train", n_train), ("val", n_val)):
        split = generate_split(n, n_clips, frames_per_clip, size, n_shapes, n_colours, rng)
        out.update({f"{name}_{k}": v for k, v in split.items()})
    return out


def reverse_videos(videos: np.ndarray) -> np.ndarray:
    """uint8[n, T, H, W, 3] played backwards (time axis 1 flipped), as a new array."""
    return np.ascontiguousarray(videos[:, ::-1])


def multi_clip_view(videos: np.ndarray, n_clips: int) -> np.ndarray:
    """Cut videos [n, n_clips * T, H, W, 3] into consecutive sub-clips [n, n_clips, T, H, W, 3]."""
    n, length = videos.shape[:2]
    if length % n_clips:
        raise ValueError(f"{length} frames cannot be cut into {n_clips} equal clips")
    return videos.reshape(n, n_clips, length // n_clips, *videos.shape[2:])


def uniform_view(videos: np.ndarray, frames: int) -> np.ndarray:
    """``frames`` frames sampled uniformly over each whole video: [n, frames, H, W, 3]."""
    length = videos.shape[1]
    idx = np.round(np.linspace(0, length - 1, frames)).astype(int)
    return videos[:, idx]
