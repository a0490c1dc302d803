"""Tiny stand-ins for the release's localisation and segmentation files (rehearsal, tests).

Written in the layouts :mod:`repro.twlv.localization_io` and
:mod:`repro.twlv.segmentation_io` read, at the paths ``data_manifests/twlv_i.yaml`` lists:

* ``twlv_i_tal_annotations_thumos14``: ``twlv_i/annotations/thumos14.json`` with a few
  Validation and Test videos of 3 classes (``database -> video -> {subset, duration, fps,
  annotations: [{label, segment, label_id}]}``);
* ``twlv_i_tas_annotations``: the GitHub-archive ``.tar.gz`` holding
  ``<top>/temporal_action_segmentation/annotations/<dataset>/{groundTruth/*.txt,
  mapping.txt, splits/*.bundle}`` for 50Salads, GTEA and Breakfast;
* ``twlv_i_embeddings_localisation`` / ``_segmentation``: the feature tars, each holding
  ``<dataset>/{train,val}/<video>.json`` (``num_frames``, ``duration``) and
  ``<video>_c.npy`` (float32 ``(windows, 16)``), windows of 0.5 s at the release's stride.

Features are class means plus noise over the annotated stretches (background elsewhere),
so a temporal model can learn something; the numbers mean nothing.
"""

from __future__ import annotations

import io as _io
import json
import tarfile
from pathlib import Path

import numpy as np

from repro.core.atomic import atomic_write_bytes
from repro.core.manifests import safe_extract
from repro.twlv.localization_io import SUBSET_FOLDERS, WINDOWS
from repro.twlv.segmentation_io import ARCHIVE_TOP, SAMPLE_RATE

DIM = 16
FPS = 30.0
TAL_CLASSES = ("Jump", "Throw", "Dive")
TAS_CLASSES = {  # each dataset's background convention: a class, SIL, or action_start/end
    "50Salads": ("action_start", "cut", "mix", "action_end"),
    "GTEA": ("take", "pour", "background"),
    "Breakfast": ("SIL", "crack_egg", "stir"),
}
TAL_SUBSETS = {"THUMOS14": ("Validation", "Test"), "ActivityNet_1.3": ("training", "validation")}


def _tar_bytes(files: dict[str, bytes], gz: bool = False) -> bytes:
    """A byte-stable tar (mtime 0, sorted) of ``name -> content``."""
    buf = _io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(files[name]), 0, 0o644
            tar.addfile(info, _io.BytesIO(files[name]))
    data = buf.getvalue()
    if gz:  # gzip header holds a timestamp: zero it so the bytes depend on the seed only
        data = data[:4] + b"\0\0\0\0" + data[8:]
    return data


def _npy(array: np.ndarray) -> bytes:
    buf = _io.BytesIO()
    np.save(buf, array.astype(np.float32), allow_pickle=False)
    return buf.getvalue()


def tal_videos(dataset: str, seed: int) -> dict[str, dict]:
    """``video -> {subset, duration, annotations}`` of the stand-in localisation dataset."""
    rng = np.random.default_rng([seed, 12, len(dataset)])
    videos = {}
    for subset, count in zip(TAL_SUBSETS[dataset], (4, 3), strict=True):
        for i in range(count):
            duration = round(float(rng.uniform(20, 40)), 2)
            starts = np.sort(rng.uniform(0, duration - 6, rng.integers(1, 4))).round(1)
            annotations = []
            for start in starts:
                label = int(rng.integers(len(TAL_CLASSES)))
                end = round(min(duration, float(start + rng.uniform(2, 6))), 1)
                annotations.append(
                    {"label": TAL_CLASSES[label], "segment": [float(start), end], "label_id": label}
                )
            name = f"video_{subset.lower()}_{i + 1:07d}"
            videos[name] = {"subset": subset, "duration": duration, "annotations": annotations}
    return videos


def write_thumos_annotations(path: Path, seed: int) -> Path:
    """The stand-in ``thumos14.json``."""
    database = {
        name: {"subset": v["subset"], "duration": v["duration"], "fps": FPS,
               "annotations": v["annotations"]}
        for name, v in tal_videos("THUMOS14", seed).items()
    }  # fmt: skip
    text = json.dumps({"version": "stand-in", "database": database}, indent=1)
    return atomic_write_bytes(path, text.encode())


def tal_feature_tar(dataset: str, seed: int) -> bytes:
    """The stand-in ``<dataset>.tar`` of window features (``<dataset>/{train,val}/...``)."""
    rng = np.random.default_rng([seed, 13, len(dataset)])
    means = rng.normal(size=(len(TAL_CLASSES) + 1, DIM)) * 2
    clip, overlap = WINDOWS[dataset]
    stride = clip * (1 - overlap)
    files: dict[str, bytes] = {}
    for name, video in tal_videos(dataset, seed).items():
        folder = SUBSET_FOLDERS[dataset][video["subset"].lower()]
        n = int((video["duration"] - clip) // stride) + 1
        centres = np.arange(n) * stride + clip / 2
        cls = np.full(n, len(TAL_CLASSES))
        for ann in video["annotations"]:
            start, end = ann["segment"]
            cls[(centres >= start) & (centres <= end)] = ann["label_id"]
        feats = means[cls] + rng.normal(size=(n, DIM))
        meta = {"num_frames": round(video["duration"] * FPS), "duration": video["duration"]}
        files[f"{dataset}/{folder}/{name}.json"] = json.dumps(meta).encode()
        files[f"{dataset}/{folder}/{name}_c.npy"] = _npy(feats)
    return _tar_bytes(files)


def tas_videos(dataset: str, seed: int) -> dict[str, list[str]]:
    """``video -> per-frame names`` of the stand-in segmentation dataset (6 videos)."""
    rng = np.random.default_rng([seed, 14, len(dataset)])
    names = TAS_CLASSES[dataset]
    videos = {}
    for i in range(6):
        frames: list[str] = []
        for _ in range(int(rng.integers(3, 6))):
            frames += [names[int(rng.integers(len(names)))]] * int(rng.integers(5, 15))
        videos[f"{dataset.lower()}-{i + 1:02d}"] = frames
    return videos


def tas_annotation_archive(seed: int) -> bytes:
    """The stand-in GitHub archive (``.tar.gz``) with the three datasets' annotations."""
    files: dict[str, bytes] = {}
    for dataset, names in TAS_CLASSES.items():
        base = f"{ARCHIVE_TOP}/temporal_action_segmentation/annotations/{dataset}"
        videos = tas_videos(dataset, seed)
        for name, frames in videos.items():
            files[f"{base}/groundTruth/{name}.txt"] = "".join(f + "\n" for f in frames).encode()
        files[f"{base}/mapping.txt"] = "".join(f"{i} {n}\n" for i, n in enumerate(names)).encode()
        order = sorted(videos)
        for split, chosen in (("train", order[:4]), ("test", order[4:])):
            bundle = "".join(f"{v}.txt\n" for v in chosen)
            files[f"{base}/splits/{split}.split1.bundle"] = bundle.encode()
    return _tar_bytes(files, gz=True)


def tas_feature_tar(dataset: str, seed: int) -> bytes:
    """The stand-in ``<dataset>.tar``: ``<dataset>/<video>_c.npy`` and ``<video>.json``."""
    rng = np.random.default_rng([seed, 15, len(dataset)])
    names = TAS_CLASSES[dataset]
    means = rng.normal(size=(len(names), DIM)) * 2
    files: dict[str, bytes] = {}
    for name, frames in tas_videos(dataset, seed).items():
        ids = np.array([names.index(f) for f in frames])[:: 4 * SAMPLE_RATE[dataset]]
        feats = means[ids] + rng.normal(size=(len(ids), DIM))
        meta = {"num_frames": len(frames), "duration": round(len(frames) / FPS, 3)}
        files[f"{dataset}/{name}.json"] = json.dumps(meta).encode()
        files[f"{dataset}/{name}_c.npy"] = _npy(feats)
    return _tar_bytes(files)


def write_entry(root: Path, entry: str, paths: list[str], seed: int) -> list[Path]:
    """Write the stand-in files of one manifest ``entry`` (``paths`` relative to ``root``)."""
    written = []
    for rel in paths:
        target = root / rel
        stem = Path(rel).name.removesuffix(".gz").removesuffix(".tar")
        if entry == "twlv_i_tal_annotations_thumos14":
            written.append(write_thumos_annotations(target, seed))
        elif entry == "twlv_i_tas_annotations":
            written.append(atomic_write_bytes(target, tas_annotation_archive(seed)))
        elif entry in ("twlv_i_embeddings_localisation", "twlv_i_embeddings_segmentation"):
            make = tal_feature_tar if entry.endswith("localisation") else tas_feature_tar
            written.append(atomic_write_bytes(target, make(stem, seed)))
            # the tree beside the tar, as a user extracts it (the manifest lists the tar only)
            extracted = safe_extract(target, target.parent)
            written += sorted(p for p in extracted if p.is_file())
        else:
            raise ValueError(f"no temporal stand-in for manifest entry '{entry}'")
    return written
