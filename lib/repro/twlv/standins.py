"""Tiny stand-ins for the released TWLV-I embeddings, in the exact release format.

The ``rehearsal`` profile runs the paper path of ``twlv_i/synthetic_benchmark`` on these
files, so the loader, the probes, the kNN and the page are exercised end to end without
the Dropbox tars. For every requested manifest entry this writes

* ``twlv_i/<folder>.tar``, the path the manifest lists, holding ``<folder>/...``; and
* the same tree extracted beside it, ``twlv_i/<folder>/{uniform,multi-clip}/{train,val}/``
  with ``<id>.json`` (``annotation``, ``num_frames``, ``duration``), ``<id>_c.npy``
  (float32 ``(n_clips, D)``) and ``<id>_v.npy`` (float32 ``(D,)``, the mean of the clips),

which is what ``repro.twlv.io.read_release`` reads. Labels use only the first
``n_classes`` classes, all below the dataset's real class count (so the loader's bound of
400 / 174 / 48 / 305 holds); embeddings are class means plus noise, so a probe can learn
something, but the numbers mean nothing.
"""

from __future__ import annotations

import io as _io
import logging
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from repro.core.atomic import atomic_write_bytes
from repro.twlv import io
from repro.twlv.config import RELEASE_DATASETS

logger = logging.getLogger(__name__)

#: Manifest entry (``data_manifests/twlv_i.yaml``) -> dataset key of ``RELEASE_DATASETS``.
ENTRY_DATASETS = {
    "twlv_i_embeddings_k400": "K400",
    "twlv_i_embeddings_ssv2": "SSv2",
    "twlv_i_embeddings_diving48": "DV48",
    "twlv_i_embeddings_mit": "MiT",
}
#: Entries that need no file: generated in the notebook, or read by no notebook.
NOTHING_TO_WRITE = (
    "twlv_i_synthetic_videos_smoke",
    "twlv_i_synthetic_videos_local_seed0",
    "twlv_i_synthetic_videos_local_seed1",
    "twlv_i_synthetic_videos_local_seed2",
    "twlv_i_datasets_videos",
)
#: Localisation / segmentation entries, written by :mod:`repro.twlv.temporal_standins`.
TEMPORAL_ENTRIES = (
    "twlv_i_tal_annotations_thumos14",
    "twlv_i_tas_annotations",
    "twlv_i_embeddings_localisation",
    "twlv_i_embeddings_segmentation",
)
#: Clips per video of each variant: one uniform embedding, 2-4 two-second clips.
CLIPS = {"uniform": (1, 1), "multi-clip": (2, 4)}
FPS = 30  # Kinetics-style frame rate for the json's num_frames


def standin_split(
    rng: np.random.Generator,
    means: np.ndarray,
    per_class: int,
    clips: tuple[int, int],
    prefix: str,
) -> io.EmbeddingSplit:
    """A split of ``per_class`` videos per class: ragged clips around the class means.

    Args:
        rng: Random source.
        means: float[C, D] class means.
        per_class: Videos per class.
        clips: Inclusive range of clips per video.
        prefix: Video-id prefix (ids are ``<prefix><index:04d>``).
    """
    labels = np.repeat(np.arange(len(means)), per_class)
    per_video = [
        (means[y] + rng.normal(size=(rng.integers(clips[0], clips[1] + 1), means.shape[1]))).astype(
            np.float32
        )
        for y in labels
    ]
    duration = rng.uniform(2.0, 10.0, len(labels)).round(2)
    return io.make_split(
        labels,
        per_video,
        ids=[f"{prefix}{i:04d}" for i in range(len(labels))],
        num_frames=np.rint(duration * FPS).astype(np.int64),
        duration=duration,
    )


def write_dataset(
    root: Path, dataset: str, seed: int, n_classes: int, dim: int, per_class: tuple[int, int]
) -> list[Path]:
    """Write ``root/<folder>/{uniform,multi-clip}/{train,val}`` for one dataset key."""
    folder, real_classes = RELEASE_DATASETS[dataset]
    if not 1 <= n_classes <= real_classes:
        raise ValueError(f"n_classes={n_classes}: expected 1..{real_classes} for {dataset}")
    rng = np.random.default_rng([seed, sorted(RELEASE_DATASETS).index(dataset)])
    means = rng.normal(size=(n_classes, dim)) * 2.0
    written = []
    for variant in io.VARIANTS:
        for split, count in zip(io.SPLITS, per_class, strict=True):
            part = standin_split(rng, means, count, CLIPS[variant], f"{split}_")
            split_dir = io.write_release_split(part, root / folder / variant / split)
            written += sorted(p for p in split_dir.iterdir() if p.is_file())
    return written


def write_tar(source: Path, target: Path) -> Path:
    """``target``: an uncompressed tar of ``source`` (as ``<source name>/...``), byte-stable."""
    buf = _io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            info = tarfile.TarInfo(path.relative_to(source.parent).as_posix())
            data = path.read_bytes()
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, _io.BytesIO(data))
    return atomic_write_bytes(target, buf.getvalue())


def write_standins(
    data_dir: Path,
    entries: Sequence[str],
    seed: int = 0,
    n_classes: int = 6,
    dim: int = 16,
    per_class: tuple[int, int] = (4, 2),
) -> list[Path]:
    """Write stand-ins for the TWLV-I manifest ``entries`` under ``data_dir``.

    Args:
        data_dir: The data folder (``$REPRO_DATA_DIR``), e.g. ``build/rehearsal/data``.
        entries: Manifest entry names; synthetic and unused entries are skipped.
        seed: Seeds every array (same seed, same bytes).
        n_classes: Classes used per dataset (at most the dataset's real count).
        dim: Embedding dimension D.
        per_class: (train, val) videos per class.

    Returns:
        Every file written: each manifest-listed ``.tar`` and the extracted files beside it.

    Raises:
        ValueError: for an entry name that ``data_manifests/twlv_i.yaml`` does not define.
    """
    unknown = sorted(
        set(entries) - set(ENTRY_DATASETS) - set(NOTHING_TO_WRITE) - set(TEMPORAL_ENTRIES)
    )
    if unknown:
        raise ValueError(
            f"no TWLV-I stand-in for manifest entries {unknown}; known: {sorted(ENTRY_DATASETS)}"
        )
    root = Path(data_dir) / "twlv_i"
    written: list[Path] = []
    for name in entries:
        if name in TEMPORAL_ENTRIES:
            from repro.core.manifests import load_all
            from repro.twlv.temporal_standins import write_entry

            paths = [spec.path for spec in load_all()[name].files]
            written += write_entry(Path(data_dir), name, paths, seed)
            continue
        if name not in ENTRY_DATASETS:
            logger.info("%s: nothing to write (generated or unused)", name)
            continue
        dataset = ENTRY_DATASETS[name]
        files = write_dataset(root, dataset, seed, n_classes, dim, per_class)
        folder = root / RELEASE_DATASETS[dataset][0]
        written += [write_tar(folder, folder.with_suffix(".tar")), *files]
    return written
