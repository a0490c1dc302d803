"""Synthetic-benchmark runner behind ``twlv_i/synthetic_benchmark`` (mechanism tier).

Results are long tables with columns ``seed, encoder, task, protocol, metric, value``
(value in percent), one row per number, so that any table or figure is a pivot of them.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from repro.twlv import encoders as enc
from repro.twlv import io, synthetic
from repro.twlv.attentive import attentive_probe
from repro.twlv.config import (
    ATTENTIVE_BATCH,
    ATTENTIVE_WEIGHT_DECAY,
    EmbeddingGeometryConfig,
    SyntheticBenchmarkConfig,
)
from repro.twlv.knn import knn_evaluate
from repro.twlv.linear import ProbeProtocol, linear_probe

logger = logging.getLogger(__name__)

TASKS = ("appearance", "motion")
KNN_MODES = ("uniform", "clip", "video")
#: Motion classes: 4 directions x {straight, bounce} (see :mod:`repro.twlv.synthetic`).
N_MOTION_CLASSES = 8
SyntheticConfig = SyntheticBenchmarkConfig | EmbeddingGeometryConfig


def generator_kwargs(cfg: SyntheticConfig) -> dict[str, int]:
    """Keyword arguments of :func:`repro.twlv.synthetic.generate_benchmark` (without seed)."""
    return {
        "n_train": cfg.n_train,
        "n_val": cfg.n_val,
        "n_clips": cfg.n_clips,
        "frames_per_clip": cfg.frames_per_clip,
        "size": cfg.frame_size,
        "n_shapes": cfg.n_shapes,
        "n_colours": cfg.n_colours,
    }


def num_classes(cfg: SyntheticConfig, task: str) -> int:
    """Classes of a synthetic task: shapes x colours, or the 8 motion classes."""
    return cfg.n_shapes * cfg.n_colours if task == "appearance" else N_MOTION_CLASSES


def use_torch_threads(num_threads: int) -> int:
    """Set torch's intra-op thread count for this process (0 keeps it); returns the count in use.

    The probes and encoders here are small: on a shared 2-core machine one thread is several
    times faster than two, because two threads spin-wait on each other when cores are busy.
    """
    import torch

    if num_threads > 0:
        torch.set_num_threads(num_threads)
    return torch.get_num_threads()


def build_encoder(name: str, cfg: SyntheticConfig, train_videos: np.ndarray, seed: int):
    """Instantiate (and for ``videomae`` train, label-blind) one encoder."""
    if name == "image":
        return enc.ImageEncoder(dim=128, seed=seed)
    if name == "motion":
        return enc.MotionEncoder(radius=min(6, cfg.frame_size // 2 - 1))
    tube = (2, 8 if cfg.frame_size % 8 == 0 else 4)
    model = enc.VideoMAEEncoder(cfg.frames_per_clip, cfg.frame_size, tube=tube, seed=seed)
    clips = synthetic.multi_clip_view(train_videos, cfg.n_clips)
    model.fit(clips.reshape(-1, *clips.shape[2:]), steps=cfg.mae_steps)
    return model


def embed_videos(encoder, videos: np.ndarray, cfg: SyntheticConfig) -> dict[str, np.ndarray]:
    """``uniform`` float[n, D] and ``clips`` float[n, n_clips, D] embeddings of videos."""
    uniform = encoder.encode(synthetic.uniform_view(videos, cfg.frames_per_clip))
    clips = synthetic.multi_clip_view(videos, cfg.n_clips)
    flat = encoder.encode(clips.reshape(-1, *clips.shape[2:]))
    return {"uniform": uniform, "clips": flat.reshape(len(videos), cfg.n_clips, -1)}


def as_splits(emb: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, io.EmbeddingSplit]:
    """Release-style ``uniform`` and ``multi-clip`` splits (video = mean of clips)."""
    return {
        "uniform": io.split_from_arrays(emb["uniform"], labels),
        "multi-clip": io.make_split(labels, list(emb["clips"])),
    }


def probe_rows(protocol: str, res) -> list[dict[str, object]]:
    """Long rows (top-1, top-5 and the chosen lr) of one probe result."""
    return [
        {"protocol": protocol, "metric": "top1", "value": res.top1},
        {"protocol": protocol, "metric": "top5", "value": res.top5},
        {"protocol": protocol, "metric": "lr", "value": res.lr},
    ]


def evaluate_task(
    train: dict[str, io.EmbeddingSplit],
    val: dict[str, io.EmbeddingSplit],
    n_classes: int,
    cfg: SyntheticBenchmarkConfig,
    seed: int,
) -> list[dict[str, object]]:
    """Linear (uniform view), attentive (clips) and kNN in three modes for one task."""
    lp = ProbeProtocol(
        "paper-shaped", "sgd", cfg.probe_lrs, (0.0,), cfg.probe_epochs,
        max(1, cfg.probe_epochs // 15), ATTENTIVE_BATCH,
    )  # fmt: skip
    res = linear_probe(train["uniform"], val["uniform"], n_classes, lp, seed=seed)
    rows = probe_rows("linear", res)
    ap = ProbeProtocol(
        "attentive", "adamw", cfg.attentive_lrs, (ATTENTIVE_WEIGHT_DECAY,),
        cfg.attentive_epochs, 0, ATTENTIVE_BATCH,
    )  # fmt: skip
    res = attentive_probe(train["multi-clip"], val["multi-clip"], n_classes, ap, seed=seed)
    rows += probe_rows("attentive", res)
    for mode in KNN_MODES:
        variant = "uniform" if mode == "uniform" else "multi-clip"
        out = knn_evaluate(train[variant], val[variant], n_classes, mode, k=cfg.knn_k)
        rows += [{"protocol": f"knn_{mode}", "metric": m, "value": out[m]} for m in out]
    return rows


def run_synthetic_seed(cfg: SyntheticBenchmarkConfig, seed: int) -> tuple[pd.DataFrame, dict]:
    """Generate data, embed with every encoder, probe both tasks.

    Returns:
        (long results table, ``{encoder: {"train"/"val": embeddings}}`` plus ``"data"``) so
        callers can reuse embeddings.
    """
    data = synthetic.generate_benchmark(**generator_kwargs(cfg), seed=seed)
    rows, embeddings = [], {"data": data}
    for name in cfg.encoders:
        start = time.perf_counter()
        model = build_encoder(name, cfg, data["train_videos"], seed)
        emb = {s: embed_videos(model, data[f"{s}_videos"], cfg) for s in ("train", "val")}
        embeddings[name] = {**emb, "encoder": model}
        for task in TASKS:
            train = as_splits(emb["train"], data[f"train_{task}"])
            val = as_splits(emb["val"], data[f"val_{task}"])
            for row in evaluate_task(train, val, num_classes(cfg, task), cfg, seed):
                rows.append({"seed": seed, "encoder": name, "task": task, **row})
        logger.info("seed %d encoder %s: %.1f s", seed, name, time.perf_counter() - start)
    return pd.DataFrame(rows), embeddings


def run_synthetic(cfg: SyntheticBenchmarkConfig) -> pd.DataFrame:
    """:func:`run_synthetic_seed` over ``cfg.seeds``, concatenated."""
    return pd.concat([run_synthetic_seed(cfg, s)[0] for s in cfg.seeds], ignore_index=True)
