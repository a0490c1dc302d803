"""Readers for the TWLV-I release's temporal action segmentation files (paper Table 12).

The release ships, per dataset (``temporal_action_segmentation/annotations/<dataset>/``):

* ``groundTruth/<video>.txt``: one action name per line, one line per frame;
* ``mapping.txt``: ``<id> <name>`` per line;
* ``splits/{train,test}.split<k>.bundle``: one ``<video>.txt`` per line;

and, in the Dropbox tars, ``<video>_c.npy`` per video: float ``(windows, D)`` features,
which the release linearly interpolates to the number of labelled frames (after taking
every ``sample_rate``-th label: 2 for 50Salads) before the temporal model sees them.
:func:`align_features` does that interpolation (``torch.nn.functional.interpolate``,
``mode="linear"``, ``align_corners=False``) in numpy.

Every reader raises :class:`SegmentationFormatError` naming the file (and line).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from repro.core.errors import InputError

#: Datasets of the release and the label sub-sampling its ``main.py`` applies.
SAMPLE_RATE = {"50Salads": 2, "GTEA": 1, "Breakfast": 1}
#: The release commit the data manifest pins, and the top folder of its GitHub archive.
RELEASE_COMMIT = "4efffd37bee3ba8ee75b98cd3409108570027c46"
ARCHIVE_TOP = f"video-embeddings-evaluation-framework-{RELEASE_COMMIT}"


class SegmentationFormatError(InputError):
    """A segmentation file does not have the release's layout; names the file and line."""


def annotations_dir(data_dir: str | Path, dataset: str) -> Path:
    """``annotations/<dataset>`` in the unpacked archive of entry ``twlv_i_tas_annotations``."""
    if dataset not in SAMPLE_RATE:
        raise ValueError(f"dataset {dataset!r}: expected one of {sorted(SAMPLE_RATE)}")
    top = Path(data_dir) / "twlv_i" / "release" / ARCHIVE_TOP
    return top / "temporal_action_segmentation" / "annotations" / dataset


def feature_file(folder: str | Path, video: str) -> Path:
    """``<video>_c.npy`` in ``folder``, or in its ``train/`` or ``val/`` subfolder.

    The release's code reads ``<embeddings_dir>/<video>_c.npy`` while its README calls
    ``embeddings_dir`` the parent of ``train/``; both layouts are accepted.
    """
    folder = Path(folder)
    for candidate in (folder, folder / "train", folder / "val"):
        path = candidate / f"{video}_c.npy"
        if path.is_file():
            return path
    raise SegmentationFormatError(f"{folder}: no {video}_c.npy (nor under train/ or val/)")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise SegmentationFormatError(f"{path}: no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise SegmentationFormatError(f"{path}: unreadable text ({err})") from err


def read_frame_labels(path: str | Path) -> list[str]:
    """Per-frame action names of one ``groundTruth``-style file (one name per line).

    The release's files end with a newline; a missing final newline is accepted (the
    release would silently drop that last frame). Blank lines and names with spaces are
    errors.
    """
    path = Path(path)
    lines = _read_text(path).splitlines()
    if not lines:
        raise SegmentationFormatError(f"{path}: empty, expected one action name per frame")
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line != line.strip() or " " in line:
            raise SegmentationFormatError(
                f"{path}: line {number}: expected one action name without spaces, got {line!r}"
            )
    return lines


def read_label_folder(
    folder: str | Path, videos: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """``video -> per-frame names`` for the ``.txt`` files of a folder (sorted by name).

    Args:
        folder: A ``groundTruth``-style folder.
        videos: Read only these video ids (each must exist); None reads every ``.txt``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SegmentationFormatError(f"{folder}: not a folder of per-video .txt files")
    if videos is None:
        names = sorted(p.stem for p in folder.glob("*.txt"))
        if not names:
            raise SegmentationFormatError(f"{folder}: no .txt files (one per video)")
    else:
        names = list(videos)
    return {name: read_frame_labels(folder / f"{name}.txt") for name in names}


def read_mapping(path: str | Path) -> dict[str, int]:
    """Action name -> class id from a release ``mapping.txt`` (``<id> <name>`` lines)."""
    path = Path(path)
    mapping: dict[str, int] = {}
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[0].isdigit():
            raise SegmentationFormatError(
                f"{path}: line {number}: expected '<id> <name>', got {line!r}"
            )
        mapping[parts[1]] = int(parts[0])
    if not mapping:
        raise SegmentationFormatError(f"{path}: no '<id> <name>' lines")
    return mapping


def read_split(path: str | Path) -> list[str]:
    """Video ids of a release split bundle (``<video>.txt`` per line, extension dropped)."""
    path = Path(path)
    videos = [line.strip() for line in _read_text(path).splitlines() if line.strip()]
    if not videos:
        raise SegmentationFormatError(f"{path}: no videos, expected one '<video>.txt' per line")
    return [v.split(".")[0] for v in videos]


def read_features(path: str | Path) -> np.ndarray:
    """One video's released features, float32 ``(windows, D)``."""
    path = Path(path)
    try:
        feats = np.load(path, allow_pickle=False)
    except FileNotFoundError as err:
        raise SegmentationFormatError(f"{path}: no such file") from err
    except (OSError, ValueError) as err:
        raise SegmentationFormatError(f"{path}: unreadable .npy ({err})") from err
    if feats.ndim != 2 or feats.shape[0] == 0:
        raise SegmentationFormatError(
            f"{path}: expected a (windows, dim) array, got shape {feats.shape}"
        )
    return feats.astype(np.float32)


def align_features(features: np.ndarray, n_frames: int) -> np.ndarray:
    """Linearly resample ``(windows, D)`` features to ``(n_frames, D)`` as the release does.

    Same as ``F.interpolate(x[None].T, size=n_frames, mode="linear")`` (half-pixel
    centres, ``align_corners=False``): output frame ``i`` reads input position
    ``(i + 0.5) * windows / n_frames - 0.5``, clamped to the first and last window.
    """
    if n_frames <= 0:
        raise ValueError(f"n_frames={n_frames}: expected > 0")
    windows = features.shape[0]
    pos = (np.arange(n_frames) + 0.5) * (windows / n_frames) - 0.5
    pos = np.clip(pos, 0.0, None)
    lower = np.minimum(np.floor(pos).astype(int), windows - 1)
    upper = np.minimum(lower + 1, windows - 1)
    weight = (pos - lower)[:, None]
    out = (1.0 - weight) * features[lower] + weight * features[upper]
    return out.astype(np.float32)
