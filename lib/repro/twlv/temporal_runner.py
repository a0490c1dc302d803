"""Runner behind ``twlv_i/temporal_localization``: streams -> frozen features -> TAS and TAL.

Results are one long table with columns ``seed, encoder, task, subset, metric, value``
(value in percent): ``task`` is ``tas`` or ``tal``, ``subset`` is ``all`` or the kind of
class a score is restricted to (``appearance``, ``motion``, ``both``), ``metric`` is e.g.
``accuracy``, ``edit``, ``f1@25``, ``mAP@0.5``, ``thumos_avg`` or ``anet_avg``.

Scores come from the release-exact metrics (:func:`repro.twlv.tas_metrics.segmentation_scores`
with the release's background handling, :func:`repro.twlv.tal_metrics.detection_map`).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
import pandas as pd

from repro.twlv import streams as st
from repro.twlv import temporal_fit as fit
from repro.twlv.config import ORACLE, SyntheticBenchmarkConfig, TemporalLocalizationConfig
from repro.twlv.runner import build_encoder
from repro.twlv.tal_metrics import detection_map
from repro.twlv.tas_metrics import RELEASE_BACKGROUND, segmentation_scores

logger = logging.getLogger(__name__)

GROUPS = ("appearance", "motion", "both")
ACTION_NAMES = list(st.CLASS_NAMES[1:])


def duration_model(cfg: TemporalLocalizationConfig) -> st.DurationModel:
    """The log-normal segment lengths of ``cfg``."""
    return st.DurationModel(
        cfg.action_median, cfg.action_sigma, cfg.background_median, cfg.background_sigma,
        cfg.background_prob,
    )  # fmt: skip


def make_streams(cfg: TemporalLocalizationConfig, seed: int) -> dict[str, dict]:
    """``train`` and ``test`` streams of one seed (:func:`repro.twlv.streams.generate_streams`)."""
    rng = np.random.default_rng(seed)
    shape = (cfg.stream_windows, cfg.frames_per_window, cfg.frame_size)
    return {
        split: st.generate_streams(n, *shape, duration_model(cfg), rng)
        for split, n in (("train", cfg.n_train_streams), ("test", cfg.n_test_streams))
    }


def encoder_settings(cfg: TemporalLocalizationConfig) -> SyntheticBenchmarkConfig:
    """The benchmark's encoder settings for windows of this page (one clip per window).

    Any setting this page does not name keeps the benchmark's default, so encoders added to
    :func:`repro.twlv.runner.build_encoder` work here unchanged.
    """
    return dataclasses.replace(
        SyntheticBenchmarkConfig(),
        n_clips=1,
        frames_per_clip=cfg.frames_per_window,
        frame_size=cfg.frame_size,
        mae_steps=cfg.mae_steps,
    )


def oracle_features(labels: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Positive control: float[n, T, C] one-hot of each window's class plus Gaussian noise."""
    onehot = np.eye(st.N_CLASSES)[labels]
    return onehot + rng.normal(0.0, noise, onehot.shape)


def standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z-score every feature with the training windows' mean and std (float32)."""
    flat = train.reshape(-1, train.shape[-1])
    mean, std = flat.mean(0), flat.std(0) + 1e-6
    return ((train - mean) / std).astype(np.float32), ((test - mean) / std).astype(np.float32)


def window_features(
    cfg: TemporalLocalizationConfig, data: dict[str, dict], seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Standardised (train, test) features float[n, T, D] for every name in ``cfg.encoders``.

    Encoders never see a label; the video transformer trains on ``cfg.mae_windows`` random
    training windows. ``a+b`` concatenates the standardised features of ``a`` and ``b``.
    """
    rng = np.random.default_rng(seed + 10_000)
    wins = {s: st.windows(data[s]["frames"], cfg.frames_per_window) for s in data}
    base = sorted({p for n in cfg.encoders if n != ORACLE for p in n.split("+")})
    single = {}
    for name in base:
        start = time.process_time()
        pick = rng.choice(len(wins["train"]), min(cfg.mae_windows, len(wins["train"])), False)
        model = build_encoder(name, encoder_settings(cfg), wins["train"][np.sort(pick)], seed)
        emb = {s: model.encode(w).reshape(*data[s]["labels"].shape, -1) for s, w in wins.items()}
        single[name] = standardise(emb["train"], emb["test"])
        logger.info("seed %d %s features: %.1f CPU s", seed, name, time.process_time() - start)
    out = {}
    for name in cfg.encoders:
        if name == ORACLE:
            raw = [oracle_features(data[s]["labels"], cfg.oracle_noise, rng) for s in data]
            out[name] = standardise(*raw)
        else:
            parts = [single[p] for p in name.split("+")]
            out[name] = tuple(np.concatenate([p[i] for p in parts], axis=-1) for i in (0, 1))
    return out


def tas_rows(labels: np.ndarray, pred: np.ndarray) -> list[dict[str, object]]:
    """TAS scores of per-step predictions int[n, T] against labels int[n, T]."""
    names = np.asarray(st.CLASS_NAMES)
    scores = segmentation_scores(
        [list(names[y]) for y in labels], [list(names[p]) for p in pred], RELEASE_BACKGROUND
    )
    # The paper's mF1 (Table 12) is the mean of the three F1 scores.
    scores["mF1"] = float(np.mean([scores[k] for k in ("f1@10", "f1@25", "f1@50")]))
    rows = [{"task": "tas", "subset": "all", "metric": m, "value": v} for m, v in scores.items()]
    for kind in GROUPS:
        sel = np.isin(labels, st.classes_of_kind(kind))
        value = 100.0 * float(np.mean(pred[sel] == labels[sel])) if sel.any() else np.nan
        rows.append({"task": "tas", "subset": kind, "metric": "accuracy", "value": value})
    return rows


def _map_rows(gt: pd.DataFrame, pred: pd.DataFrame, tious, name: str, subset: str) -> list[dict]:
    if gt.empty:
        return []
    res = detection_map(gt, pred, tious)
    rows = [
        {"task": "tal", "subset": subset, "metric": f"mAP@{t:g}", "value": 100.0 * m}
        for t, m in zip(res["tiou"], res["mAP"], strict=True)
        if subset == "all"
    ]
    rows.append({"task": "tal", "subset": subset, "metric": f"{name}_avg",
                 "value": 100.0 * res["average"]})  # fmt: skip
    return rows


def tal_rows(
    gt: pd.DataFrame, pred: pd.DataFrame, cfg: TemporalLocalizationConfig
) -> list[dict[str, object]]:
    """mAP at the THUMOS and ActivityNet thresholds, overall and per kind of class."""
    rows = _map_rows(gt, pred, cfg.thumos_tious, "thumos", "all")
    rows += [r for r in _map_rows(gt, pred, cfg.anet_tious, "anet", "all")
             if r["metric"] not in {x["metric"] for x in rows}]  # fmt: skip
    for kind in GROUPS:
        keep = [st.CLASS_NAMES[c] for c in st.classes_of_kind(kind)]
        rows += _map_rows(
            gt[gt["label"].isin(keep)], pred[pred["label"].isin(keep)],
            cfg.thumos_tious, "thumos", kind,
        )  # fmt: skip
    return rows


def run_temporal_seed(cfg: TemporalLocalizationConfig, seed: int) -> dict[str, object]:
    """Streams, features, TAS and TAL for one seed.

    Returns:
        ``results`` (the long table), ``labels`` int[n_test, T] and ``predictions``
        ``{encoder: int[n_test, T]}`` (TAS) for the Fig. 5 analogue, ``segments`` of all
        streams (training then test) for their statistics.
    """
    data = make_streams(cfg, seed)
    feats = window_features(cfg, data, seed)
    y_train, y_test = data["train"]["labels"], data["test"]["labels"]
    gt = st.segments_table(data["test"]["segments"])
    video_ids = [f"stream{i:03d}" for i in range(len(y_test))]
    rows, preds = [], {}
    for name, (x_train, x_test) in feats.items():
        start = time.process_time()
        seg = fit.fit_segmenter(
            x_train, y_train, st.N_CLASSES, cfg.tas_channels, cfg.tas_layers, cfg.tas_stages,
            cfg.tas_epochs, cfg.tas_lr, seed,
        )  # fmt: skip
        preds[name] = fit.predict_segments(seg, x_test)
        det = fit.fit_detector(
            x_train, y_train, len(ACTION_NAMES), cfg.tal_channels, cfg.tal_layers,
            cfg.tal_epochs, cfg.tal_lr, seed,
        )  # fmt: skip
        found = fit.detect(det, x_test, ACTION_NAMES, video_ids, cfg.nms_sigma, cfg.max_segments)
        for row in tas_rows(y_test, preds[name]) + tal_rows(gt, found, cfg):
            rows.append({"seed": seed, "encoder": name, **row})
        logger.info("seed %d %s TAS+TAL: %.1f CPU s", seed, name, time.process_time() - start)
    segments = data["train"]["segments"] + data["test"]["segments"]
    return {"results": pd.DataFrame(rows), "labels": y_test, "predictions": preds,
            "segments": segments}  # fmt: skip
