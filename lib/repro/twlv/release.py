"""Paper tier of ``twlv_i/synthetic_benchmark``: Tables 3 and 6 on the released embeddings.

Reads ``data_root()/twlv_i/<release folder>/{uniform,multi-clip}/{train,val}`` (see
``data_manifests/twlv_i.yaml``) and returns the long format of :mod:`repro.twlv.runner`
with ``encoder = "TWLV-I (released)"`` and ``task`` = dataset key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from repro.twlv import io
from repro.twlv.config import RELEASE_DATASETS, SyntheticBenchmarkConfig
from repro.twlv.knn import knn_evaluate
from repro.twlv.linear import linear_probe, paper_protocol
from repro.twlv.runner import KNN_MODES, probe_rows

RELEASE_ENCODER = "TWLV-I (released)"
#: Table 6 of the paper reports kNN on these two datasets only.
KNN_DATASETS = ("K400", "SSv2")
#: Our protocol names -> the ``protocol`` column of ``reported/twlv_i.csv``.
REPORTED_PROTOCOL = {"linear": "linear_probe", "attentive": "attentive_probe"}


def release_dataset_dir(root: Path, dataset: str) -> Path:
    """``root/<release folder>`` for a dataset key of :data:`RELEASE_DATASETS`."""
    if dataset not in RELEASE_DATASETS:
        raise ValueError(f"dataset {dataset!r}, expected one of {sorted(RELEASE_DATASETS)}")
    return Path(root) / RELEASE_DATASETS[dataset][0]


def run_release_table3(
    root: Path,
    datasets: tuple[str, ...],
    lr_multipliers: tuple[float, ...],
    seed: int,
    epochs: int = 0,
) -> pd.DataFrame:
    """Table 3 for released embeddings: paper-protocol linear probe on the ``uniform`` variant.

    This is an *offline* probe on fixed embeddings: the paper probes online, with
    augmented views of the videos, which fixed embeddings cannot provide.

    Args:
        root: ``data_root()/twlv_i``.
        datasets: Keys of :data:`RELEASE_DATASETS`.
        lr_multipliers: Sweep around Table 4's learning rate (chosen on held-out train).
        seed: Probe seed.
        epochs: Override Table 4's epochs (0 keeps them).
    """
    rows = []
    for ds in datasets:
        n_classes = RELEASE_DATASETS[ds][1]
        splits = io.load_embeddings(release_dataset_dir(root, ds), "uniform", n_classes)
        protocol = paper_protocol(ds, lr_multipliers)
        if epochs:
            protocol = dataclasses.replace(
                protocol, epochs=epochs, warmup_epochs=min(protocol.warmup_epochs, epochs)
            )
        res = linear_probe(splits["train"], splits["val"], n_classes, protocol, seed=seed)
        rows += [{"dataset": ds, "seed": seed, **r} for r in probe_rows("linear_probe", res)]
    return pd.DataFrame(rows)


def run_release_table6(root: Path, datasets: tuple[str, ...], k: int) -> pd.DataFrame:
    """Table 6 for released embeddings: kNN uniform / clip / video top-1 (deterministic)."""
    rows = []
    for ds in datasets:
        n_classes = RELEASE_DATASETS[ds][1]
        base = release_dataset_dir(root, ds)
        variants = {v: io.load_embeddings(base, v, n_classes) for v in io.VARIANTS}
        for mode in KNN_MODES:
            splits = variants["uniform" if mode == "uniform" else "multi-clip"]
            out = knn_evaluate(splits["train"], splits["val"], n_classes, mode, k=k)
            rows.append(
                {"dataset": ds, "protocol": f"knn_{mode}", "metric": "top1", "value": out["top1"]}
            )
    return pd.DataFrame(rows)


def run_release(root: Path, cfg: SyntheticBenchmarkConfig) -> pd.DataFrame:
    """Paper tier: Table 3 (linear, all ``cfg.release_datasets``) and Table 6 (kNN, K400/SSv2).

    kNN has no randomness, so its rows are computed once and repeated for every seed.
    """
    frames = []
    for seed in cfg.seeds:
        t3 = run_release_table3(
            root, cfg.release_datasets, cfg.release_lr_multipliers, seed, cfg.release_epochs
        )
        frames.append(t3.assign(protocol="linear"))
    knn_sets = tuple(d for d in cfg.release_datasets if d in KNN_DATASETS)
    if knn_sets:
        t6 = run_release_table6(root, knn_sets, cfg.knn_k)
        frames += [t6.assign(seed=s) for s in cfg.seeds]
    out = pd.concat(frames, ignore_index=True).rename(columns={"dataset": "task"})
    return out.assign(encoder=RELEASE_ENCODER)[
        ["seed", "encoder", "task", "protocol", "metric", "value"]
    ]


def beside_reported(ours: pd.DataFrame, reported: pd.DataFrame, model: str, backbone: str):
    """Join our ``dataset, protocol, metric, value`` rows with the paper's (``reported`` column)."""
    ref = reported[(reported["model"] == model) & (reported["backbone"] == backbone)]
    ref = ref.rename(columns={"value": "reported"})[["dataset", "protocol", "metric", "reported"]]
    mean = ours.groupby(["dataset", "protocol", "metric"], as_index=False)["value"].mean()
    table = mean.rename(columns={"value": "reproduced"}).merge(
        ref, on=["dataset", "protocol", "metric"], how="left"
    )
    return table[["dataset", "protocol", "metric", "reported", "reproduced"]]


def release_vs_reported(summary: pd.DataFrame, reported: pd.DataFrame) -> pd.DataFrame:
    """Paper-tier comparison: our mean beside the paper's TWLV-I ViT-L number (``reported``)."""
    ours = summary.rename(columns={"task": "dataset", "mean": "value"})
    ours = ours.assign(protocol=ours["protocol"].map(lambda p: REPORTED_PROTOCOL.get(p, p)))
    return beside_reported(ours, reported, "TWLV-I", "ViT-L")
