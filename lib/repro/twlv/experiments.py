"""Experiment runners behind the TWLV-I notebooks and the ``repro twlv evaluate`` command.

Results are long tables with columns ``seed, encoder, task, protocol, metric, value``
(value in percent), one row per number, so that any table or figure is a pivot of them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from repro.twlv import encoders as enc
from repro.twlv import io, synthetic
from repro.twlv.attentive import attentive_probe
from repro.twlv.knn import knn_evaluate
from repro.twlv.linear import ProbeProtocol, linear_probe, paper_protocol

logger = logging.getLogger(__name__)

TASKS = ("appearance", "motion")
ENCODERS = ("image", "motion", "videomae")
KNN_MODES = ("uniform", "clip", "video")
#: Released TWLV-I embedding folders (Dropbox tar names) and their class counts.
RELEASE_DATASETS = {
    "K400": ("Kinetics400", 400),
    "SSv2": ("sthsth-v2", 174),
    "DV48": ("Diving48", 48),
    "MiT": ("MomentsInTime", 305),
}


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """Sizes and recipes of the offline benchmark (values come from the notebook parameters).

    Attributes:
        n_train: Training videos per seed.
        n_val: Validation videos per seed.
        n_clips: Sub-clips per video.
        frames_per_clip: Frames per sub-clip (also frames of the uniform view).
        size: Frame side in pixels.
        n_shapes: Sprite shapes (appearance = shape x colour).
        n_colours: Sprite colours.
        encoders: Subset of ``ENCODERS``.
        mae_steps: Self-supervised training steps of the video transformer.
        probe_epochs: Linear-probe epochs (paper recipe shape: SGD, warm-up, cosine).
        probe_lrs: Linear-probe learning rates swept in one pass.
        attentive_epochs: Attentive-probe epochs.
        attentive_lrs: Attentive-probe learning rates swept in one pass.
        knn_k: Neighbours (the paper's code: 200; clipped to the bank size).
    """

    n_train: int = 800
    n_val: int = 200
    n_clips: int = 3
    frames_per_clip: int = 8
    size: int = 32
    n_shapes: int = 4
    n_colours: int = 2
    encoders: tuple[str, ...] = ENCODERS
    mae_steps: int = 300
    probe_epochs: int = 30
    probe_lrs: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0)
    attentive_epochs: int = 20
    attentive_lrs: tuple[float, ...] = (1e-3, 3e-3)
    knn_k: int = 200

    def __post_init__(self) -> None:
        unknown = set(self.encoders) - set(ENCODERS)
        if unknown:
            raise ValueError(f"encoders {sorted(unknown)} unknown, expected some of {ENCODERS}")

    def generator_kwargs(self) -> dict[str, int]:
        """Keyword arguments of :func:`repro.twlv.synthetic.generate_benchmark` (without seed)."""
        keys = ("n_train", "n_val", "n_clips", "frames_per_clip", "size", "n_shapes", "n_colours")
        return {k: getattr(self, k) for k in keys}


def build_encoder(name: str, cfg: SyntheticConfig, train_videos: np.ndarray, seed: int):
    """Instantiate (and for ``videomae`` train, label-blind) one encoder."""
    if name == "image":
        return enc.ImageEncoder(dim=128, seed=seed)
    if name == "motion":
        return enc.MotionEncoder(radius=min(6, cfg.size // 2 - 1))
    tube = (2, 8 if cfg.size % 8 == 0 else 4)
    model = enc.VideoMAEEncoder(cfg.frames_per_clip, cfg.size, tube=tube, seed=seed)
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


def evaluate_task(
    train: dict[str, io.EmbeddingSplit],
    val: dict[str, io.EmbeddingSplit],
    num_classes: int,
    cfg: SyntheticConfig,
    seed: int,
) -> list[dict[str, object]]:
    """Linear (uniform view), attentive (clips) and kNN in three modes for one task."""
    rows: list[dict[str, object]] = []
    lp = ProbeProtocol(
        "paper-shaped",
        "sgd",
        cfg.probe_lrs,
        (0.0,),
        cfg.probe_epochs,
        max(1, cfg.probe_epochs // 15),
        256,
    )
    res = linear_probe(train["uniform"], val["uniform"], num_classes, lp, seed=seed)
    rows += _probe_rows("linear", res)
    ap = ProbeProtocol(
        "attentive", "adamw", cfg.attentive_lrs, (1e-5,), cfg.attentive_epochs, 0, 256
    )
    res = attentive_probe(train["multi-clip"], val["multi-clip"], num_classes, ap, seed=seed)
    rows += _probe_rows("attentive", res)
    for mode in KNN_MODES:
        variant = "uniform" if mode == "uniform" else "multi-clip"
        out = knn_evaluate(train[variant], val[variant], num_classes, mode, k=cfg.knn_k)
        rows += [{"protocol": f"knn_{mode}", "metric": m, "value": out[m]} for m in out]
    return rows


def _probe_rows(protocol: str, res) -> list[dict[str, object]]:
    return [
        {"protocol": protocol, "metric": "top1", "value": res.top1},
        {"protocol": protocol, "metric": "top5", "value": res.top5},
        {"protocol": protocol, "metric": "lr", "value": res.lr},
    ]


def run_synthetic_seed(cfg: SyntheticConfig, seed: int) -> tuple[pd.DataFrame, dict]:
    """Generate data, embed with every encoder, probe both tasks.

    Returns:
        (long results table, ``{encoder: {"train"/"val": embeddings}}`` plus ``"data"``) so
        notebooks can reuse embeddings for the geometry figures.
    """
    data = synthetic.generate_benchmark(**cfg.generator_kwargs(), seed=seed)
    rows, embeddings = [], {"data": data}
    for name in cfg.encoders:
        start = time.perf_counter()
        model = build_encoder(name, cfg, data["train_videos"], seed)
        emb = {s: embed_videos(model, data[f"{s}_videos"], cfg) for s in ("train", "val")}
        embeddings[name] = {**emb, "encoder": model}
        for task in TASKS:
            num_classes = (cfg.n_shapes * cfg.n_colours) if task == "appearance" else 8
            train = as_splits(emb["train"], data[f"train_{task}"])
            val = as_splits(emb["val"], data[f"val_{task}"])
            for row in evaluate_task(train, val, num_classes, cfg, seed):
                rows.append({"seed": seed, "encoder": name, "task": task, **row})
        logger.info("seed %d encoder %s: %.1f s", seed, name, time.perf_counter() - start)
    return pd.DataFrame(rows), embeddings


def run_synthetic(cfg: SyntheticConfig, seeds: list[int]) -> pd.DataFrame:
    """:func:`run_synthetic_seed` over ``seeds``, concatenated."""
    return pd.concat([run_synthetic_seed(cfg, s)[0] for s in seeds], ignore_index=True)


# ------------------------------------------------------------------------- paper tier


def release_dataset_dir(root: Path, dataset: str) -> Path:
    """``root/<release folder>`` for a dataset key of :data:`RELEASE_DATASETS`."""
    if dataset not in RELEASE_DATASETS:
        raise ValueError(f"dataset {dataset!r}, expected one of {sorted(RELEASE_DATASETS)}")
    return Path(root) / RELEASE_DATASETS[dataset][0]


def run_release_table3(
    root: Path,
    datasets: list[str],
    lr_multipliers: tuple[float, ...],
    seed: int,
    epochs: int | None = None,
) -> pd.DataFrame:
    """Table 3 for released embeddings: paper-protocol linear probe on the ``uniform`` variant.

    Args:
        root: ``data_root()/twlv_i``.
        datasets: Keys of :data:`RELEASE_DATASETS`.
        lr_multipliers: Sweep around Table 4's learning rate (chosen on held-out train).
        seed: Probe seed.
        epochs: Override Table 4's epochs (None keeps them).
    """
    rows = []
    for ds in datasets:
        num_classes = RELEASE_DATASETS[ds][1]
        splits = io.load_embeddings(release_dataset_dir(root, ds), "uniform", num_classes)
        protocol = paper_protocol(ds, lr_multipliers)
        if epochs is not None:
            protocol = dataclasses.replace(
                protocol, epochs=epochs, warmup_epochs=min(protocol.warmup_epochs, epochs)
            )
        res = linear_probe(splits["train"], splits["val"], num_classes, protocol, seed=seed)
        rows += [{"dataset": ds, "seed": seed, **r} for r in _probe_rows("linear_probe", res)]
    return pd.DataFrame(rows)


def run_release_table6(root: Path, datasets: list[str], k: int = 200) -> pd.DataFrame:
    """Table 6 for released embeddings: kNN uniform / clip / video top-1 (deterministic)."""
    rows = []
    for ds in datasets:
        num_classes = RELEASE_DATASETS[ds][1]
        base = release_dataset_dir(root, ds)
        variants = {v: io.load_embeddings(base, v, num_classes) for v in io.VARIANTS}
        for mode in KNN_MODES:
            splits = variants["uniform" if mode == "uniform" else "multi-clip"]
            out = knn_evaluate(splits["train"], splits["val"], num_classes, mode, k=k)
            rows.append(
                {"dataset": ds, "protocol": f"knn_{mode}", "metric": "top1", "value": out["top1"]}
            )
    return pd.DataFrame(rows)


def beside_reported(ours: pd.DataFrame, reported: pd.DataFrame, model: str, backbone: str):
    """Join our ``dataset, protocol, metric, value`` rows with the paper's (``reported`` column)."""
    ref = reported[(reported["model"] == model) & (reported["backbone"] == backbone)]
    ref = ref.rename(columns={"value": "reported"})[["dataset", "protocol", "metric", "reported"]]
    mean = ours.groupby(["dataset", "protocol", "metric"], as_index=False)["value"].mean()
    table = mean.rename(columns={"value": "reproduced"}).merge(
        ref, on=["dataset", "protocol", "metric"], how="left"
    )
    return table[["dataset", "protocol", "metric", "reported", "reproduced"]]


def use_torch_threads(num_threads: int) -> int:
    """Set torch's intra-op thread count for this process (0 keeps it); returns the count in use.

    The probes and encoders here are small: on a shared 2-core machine one thread is several
    times faster than two, because two threads spin-wait on each other when cores are busy.
    """
    import torch

    if num_threads > 0:
        torch.set_num_threads(num_threads)
    return torch.get_num_threads()


# ------------------------------------------------------------------- tables for the book

ENCODER_LABELS = {
    "image": "image-style (per-frame, time-averaged)",
    "motion": "motion-sensitive (frame differences)",
    "videomae": "video transformer (masked modelling)",
}
#: Our protocol names -> the ``protocol`` column of ``reported/twlv_i.csv``.
REPORTED_PROTOCOL = {"linear": "linear_probe", "attentive": "attentive_probe"}


def summarise(results: pd.DataFrame, protocols: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean, std and seed count per encoder, task, protocol and metric (tidy, for saving)."""
    from repro.twlv.metrics import summarise_seeds

    sel = results[results["protocol"].isin(protocols) & results["metric"].isin(metrics)]
    out = summarise_seeds(sel, ["encoder", "task", "protocol", "metric"])
    return out.round({"mean": 2, "std": 2})


def wide(summary: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Display pivot: one row per encoder, ``columns`` across, cells ``"mean ± std"``."""
    cells = summary.assign(
        cell=summary["mean"].map("{:.1f}".format) + " ± " + summary["std"].map("{:.1f}".format)
    )
    return cells.pivot_table(
        index="encoder", columns=columns, values="cell", aggfunc="first", sort=False
    )


def appearance_motion_points(summary: pd.DataFrame, protocol: str = "linear") -> pd.DataFrame:
    """Fig. 2 analogue data: per encoder, top-1 mean/std on the appearance and motion tasks."""
    sel = summary[(summary["protocol"] == protocol) & (summary["metric"] == "top1")]
    piv = sel.pivot_table(index="encoder", columns="task", values=["mean", "std"], sort=False)
    return pd.DataFrame(
        {
            "model": [ENCODER_LABELS.get(e, e) for e in piv.index],
            "appearance": piv[("mean", "appearance")].to_numpy(),
            "motion": piv[("mean", "motion")].to_numpy(),
            "appearance_std": piv[("std", "appearance")].to_numpy(),
            "motion_std": piv[("std", "motion")].to_numpy(),
        }
    )


def reported_view(
    reported: pd.DataFrame, protocols: list[str], datasets: list[str], metric: str = "top1"
) -> pd.DataFrame:
    """The paper's numbers for ``protocols`` x ``datasets`` as a model-by-column table."""
    sel = reported[
        reported["protocol"].isin(protocols)
        & reported["dataset"].isin(datasets)
        & (reported["metric"] == metric)
    ]
    sel = sel.assign(model=sel["model"] + " " + sel["backbone"])
    return sel.pivot_table(
        index="model", columns=["protocol", "dataset"], values="value", sort=False
    )


def run_release(
    root: Path,
    datasets: list[str],
    lr_multipliers: tuple[float, ...],
    seeds: list[int],
    epochs: int | None = None,
    k: int = 200,
) -> pd.DataFrame:
    """Paper tier: Table 3 (linear, all ``datasets``) and Table 6 (kNN, K400/SSv2 among them).

    Returns the long format of :func:`run_synthetic` with ``encoder = "TWLV-I (released)"``
    and ``task`` = dataset key.
    """
    frames = []
    for seed in seeds:
        t3 = run_release_table3(root, datasets, lr_multipliers, seed, epochs)
        frames.append(t3.assign(protocol="linear"))
    knn_sets = [d for d in datasets if d in ("K400", "SSv2")]
    if knn_sets:
        t6 = run_release_table6(root, knn_sets, k)
        frames += [t6.assign(seed=s) for s in seeds]
    out = pd.concat(frames, ignore_index=True).rename(columns={"dataset": "task"})
    return out.assign(encoder="TWLV-I (released)")[
        ["seed", "encoder", "task", "protocol", "metric", "value"]
    ]


def release_vs_reported(summary: pd.DataFrame, reported: pd.DataFrame) -> pd.DataFrame:
    """Paper-tier comparison: our mean beside the paper's TWLV-I ViT-L number (``reported``)."""
    ours = summary.rename(columns={"task": "dataset", "mean": "value"})
    ours = ours.assign(protocol=ours["protocol"].map(lambda p: REPORTED_PROTOCOL.get(p, p)))
    return beside_reported(ours, reported, "TWLV-I", "ViT-L")


# ------------------------------------------------------------------- embedding geometry

#: Motion classes used for the forward-vs-reversed figures (paper Figs. 8 and 9).
REVERSAL_CLASSES = {"straight up": 0, "straight down": 1}


def run_geometry_seed(cfg: SyntheticConfig, seed: int, max_points: int) -> dict[str, object]:
    """t-SNE maps of validation embeddings and forward-vs-reversed analyses for one seed.

    Args:
        cfg: Benchmark sizes and encoders.
        seed: Seeds data, encoders, t-SNE and cross-validation folds.
        max_points: Cap on points per t-SNE map and on clips per reversal class.

    Returns:
        ``maps`` {encoder: float[m, 2]}, ``appearance``/``motion`` int[m] labels of the mapped
        points, ``reversal`` {class name: {encoder: analysis dict}}, and ``table``: a long
        DataFrame (seed, encoder, motion_class, metric, value) of the reversal accuracies.
    """
    from repro.twlv import viz

    data = synthetic.generate_benchmark(**cfg.generator_kwargs(), seed=seed)
    view = {
        s: synthetic.uniform_view(data[f"{s}_videos"], cfg.frames_per_clip)
        for s in ("train", "val")
    }
    pick = np.random.default_rng(seed).permutation(cfg.n_val)[:max_points]
    out = {"maps": {}, "reversal": {c: {} for c in REVERSAL_CLASSES}, "rows": []}
    out["appearance"], out["motion"] = data["val_appearance"][pick], data["val_motion"][pick]
    motion = np.concatenate([data["train_motion"], data["val_motion"]])
    clips = np.concatenate([view["train"], view["val"]])
    for name in cfg.encoders:
        model = build_encoder(name, cfg, data["train_videos"], seed)
        out["maps"][name] = viz.tsne_2d(model.encode(view["val"][pick]), seed=seed)
        for cname, label in REVERSAL_CLASSES.items():
            sel = clips[motion == label][:max_points]
            res = viz.forward_reversed_analysis(
                model.encode(sel), model.encode(synthetic.reverse_videos(sel)), seed=seed
            )
            out["reversal"][cname][name] = res
            out["rows"] += [
                {
                    "seed": seed,
                    "encoder": name,
                    "motion_class": cname,
                    "metric": m,
                    "value": res[m],
                    "n_pairs": len(sel),
                }
                for m in ("accuracy", "auc")
            ]
    out["table"] = pd.DataFrame(out.pop("rows"))
    return out
