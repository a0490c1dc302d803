"""Synthetic-benchmark runner behind ``twlv_i/synthetic_benchmark`` (mechanism tier).

Results are long tables with columns ``seed, encoder, task, protocol, metric, value``
(value in percent), one row per number, so that any table or figure is a pivot of them.
The kNN-sensitivity rows (metric ``top1_at_k``) carry two more columns: ``k`` and
``k_rule`` (``grid`` or ``scaled``, see :func:`repro.twlv.knn.scaled_k`); the learned
temporal encoder adds a row per seed with its held-out pretext accuracy (task and
protocol ``pretext``).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from repro.twlv import encoders as enc
from repro.twlv import io, synthetic
from repro.twlv.config import (
    ATTENTIVE_WEIGHT_DECAY,
    EmbeddingGeometryConfig,
    SyntheticBenchmarkConfig,
)
from repro.twlv.knn import knn_evaluate, knn_sensitivity, scaled_k
from repro.twlv.linear import ProbeProtocol, linear_probe
from repro.twlv.pooler import pooler_probe
from repro.twlv.temporal import TemporalOrderEncoder

logger = logging.getLogger(__name__)

TASKS = ("appearance", "motion")
KNN_MODES = ("uniform", "clip", "video")
#: Motion classes: 4 directions x {straight, bounce} (see :mod:`repro.twlv.synthetic`).
N_MOTION_CLASSES = 8
#: Linear-probe batch on the synthetic splits (a few hundred videos).
LINEAR_BATCH = 256
#: Validation-video pairs on which the temporal encoder's pretext accuracy is measured.
PRETEXT_PAIRS = 256
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
    """Instantiate (and for ``videomae`` / ``temporal`` train, label-blind) one encoder."""
    if name == "image":
        return enc.ImageEncoder(dim=128, seed=seed)
    if name == "motion":
        return enc.MotionEncoder(radius=min(6, cfg.frame_size // 2 - 1))
    if name == "temporal":
        model = TemporalOrderEncoder(cfg.frames_per_clip, cfg.frame_size, seed=seed)
        # Whole unlabelled training videos: the pretext draws its windows from them.
        model.fit(train_videos, steps=getattr(cfg, "temporal_steps", 200))
        return model
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


def probe_protocols(cfg: SyntheticBenchmarkConfig) -> tuple[ProbeProtocol, ProbeProtocol]:
    """The linear and attentive recipes of the synthetic benchmark.

    Linear: SGD over ``probe_lrs``, chosen on 10 % of train, then refitted on all of it.
    Attentive: Table 4's single setting (AdamW 1e-3, wd 1e-5, no warm-up) on all of train.
    Both standardise features when ``probe_standardize`` and count optimiser steps.
    """
    epochs = cfg.probe_epochs
    lp = ProbeProtocol(
        "paper-shaped", "sgd", cfg.probe_lrs, (0.0,), epochs, max(1, epochs // 15),
        LINEAR_BATCH, standardize=cfg.probe_standardize, steps=cfg.probe_steps, refit=True,
    )  # fmt: skip
    several = len(cfg.attentive_lrs) > 1
    ap = ProbeProtocol(
        "attentive", "adamw", cfg.attentive_lrs, (ATTENTIVE_WEIGHT_DECAY,),
        cfg.attentive_epochs, 0, cfg.attentive_batch, holdout_fraction=0.1 if several else 0.0,
        standardize=cfg.probe_standardize, steps=cfg.attentive_steps, refit=several,
    )  # fmt: skip
    return lp, ap


def sensitivity_rows(
    train: dict[str, io.EmbeddingSplit],
    val: dict[str, io.EmbeddingSplit],
    n_classes: int,
    ks: tuple[int, ...],
) -> list[dict[str, object]]:
    """kNN top-1 over ``ks`` and at the bank-scaled k, for the three modes."""
    rows = []
    for mode in KNN_MODES:
        split = train["uniform" if mode == "uniform" else "multi-clip"]
        bank = split.clips.shape[0] if mode == "clip" else split.num_videos
        k_fit = scaled_k(bank, n_classes)
        variant = "uniform" if mode == "uniform" else "multi-clip"
        top1 = knn_sensitivity(split, val[variant], n_classes, mode, (*ks, k_fit))
        rows += [
            {"protocol": f"knn_{mode}", "metric": "top1_at_k", "value": top1[k], "k": k,
             "k_rule": "grid"}
            for k in ks
        ]  # fmt: skip
        rows.append(
            {"protocol": f"knn_{mode}", "metric": "top1_at_k", "value": top1[k_fit],
             "k": k_fit, "k_rule": "scaled"}
        )  # fmt: skip
    return rows


def evaluate_task(
    train: dict[str, io.EmbeddingSplit],
    val: dict[str, io.EmbeddingSplit],
    n_classes: int,
    cfg: SyntheticBenchmarkConfig,
    seed: int,
) -> list[dict[str, object]]:
    """Linear (uniform view), attentive (clips), kNN in three modes and its k sweep."""
    lp, ap = probe_protocols(cfg)
    res = linear_probe(train["uniform"], val["uniform"], n_classes, lp, seed=seed)
    rows = probe_rows("linear", res)
    res = pooler_probe(
        train["multi-clip"], val["multi-clip"], n_classes, ap,
        mlp_ratio=cfg.attentive_mlp_ratio, seed=seed,
    )  # fmt: skip
    rows += probe_rows("attentive", res)
    for mode in KNN_MODES:
        variant = "uniform" if mode == "uniform" else "multi-clip"
        out = knn_evaluate(train[variant], val[variant], n_classes, mode, k=cfg.knn_k)
        rows += [{"protocol": f"knn_{mode}", "metric": m, "value": out[m]} for m in out]
    return rows + sensitivity_rows(train, val, n_classes, cfg.knn_ks)


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
        if isinstance(model, TemporalOrderEncoder):
            # Learned something? Held-out pretext accuracy on unlabelled val videos.
            acc = model.pretext_accuracy(data["val_videos"], PRETEXT_PAIRS, seed=seed)
            rows.append({"seed": seed, "encoder": name, "task": "pretext",
                         "protocol": "pretext", "metric": "accuracy", "value": acc})  # fmt: skip
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
