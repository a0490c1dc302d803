"""Tables and figures from the long result tables (no I/O; figures are returned).

Input contract: ``summary`` frames from :func:`repro.crild.experiments.summarise`
(``setting, task, method, selection, mean, std, count``; values x100) and ILD-curve frames
from :func:`ild_curves` (``method, seed, epoch, inputs, ild_loss``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

WHICH_LAYER = ["TinyBERT", "EMD", "L-ILD"]
SUPPLEMENTARY = ["L-ILD", "CR-ILD", "L-ILD-QKV", "CR-ILD-released"]


def cell(mean: float, std: float) -> str:
    """``"mean ± sd"`` with one decimal (``sd`` omitted when undefined)."""
    return f"{mean:.1f}" if np.isnan(std) else f"{mean:.1f} ± {std:.1f}"


def wide_table(
    summary: pd.DataFrame, selection: str = "best", methods: list[str] | None = None
) -> pd.DataFrame:
    """Methods x tasks of ``mean ± sd`` strings for one selection rule (and setting)."""
    sub = summary[summary["selection"] == selection].copy()
    if methods is not None:
        sub = sub[sub["method"].isin(methods)]
    sub["value"] = [cell(m, s) for m, s in zip(sub["mean"], sub["std"], strict=True)]
    cols = ["setting", "task"] if sub["setting"].nunique() > 1 else ["task"]
    wide = sub.pivot_table(
        index="method", columns=cols, values="value", aggfunc="first", sort=False
    )
    return wide


def with_average(summary: pd.DataFrame) -> pd.DataFrame:
    """Adds a per-method ``task = "avg"`` row (mean over tasks of the seed means)."""
    avg = (
        summary.groupby(["setting", "method", "selection"], sort=False)["mean"]
        .mean()
        .reset_index()
        .assign(task="avg", std=np.nan, count=np.nan)
    )
    return pd.concat([summary, avg[summary.columns]], ignore_index=True)


def ild_curves(runs: list) -> pd.DataFrame:
    """Long frame of per-epoch ILD losses on training and held-out inputs."""
    rows = []
    for r in runs:
        for e, (tr, ho) in enumerate(zip(r.ild_train, r.ild_heldout, strict=True), start=1):
            rows.append(
                {"method": r.method, "seed": r.seed, "epoch": e, "inputs": "train", "ild_loss": tr}
            )
            rows.append(
                {
                    "method": r.method,
                    "seed": r.seed,
                    "epoch": e,
                    "inputs": "held-out",
                    "ild_loss": ho,
                }
            )
    return pd.DataFrame(rows)


def gap_table(curves: pd.DataFrame) -> pd.DataFrame:
    """Held-out minus train ILD loss, relative to train (%), at the first and last epoch."""
    piv = curves.pivot_table(
        index=["method", "seed", "epoch"], columns="inputs", values="ild_loss"
    ).reset_index()
    piv["gap_pct"] = 100 * (piv["held-out"] - piv["train"]) / piv["train"]
    first = piv.groupby(["method", "seed"])["epoch"].transform("min") == piv["epoch"]
    last = piv.groupby(["method", "seed"])["epoch"].transform("max") == piv["epoch"]
    out = piv[first | last].assign(when=np.where(piv[first | last]["epoch"] == 1, "first", "last"))
    return out.groupby(["method", "when"])[["train", "held-out", "gap_pct"]].mean().reset_index()


def plot_overfitting(curves: pd.DataFrame, title: str = "") -> plt.Figure:
    """One panel per method: ILD loss per epoch on training vs held-out inputs (seed mean ± sd)."""
    methods = list(dict.fromkeys(curves["method"]))
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 3.2), squeeze=False)
    for ax, method in zip(axes[0], methods, strict=True):
        sub = curves[curves["method"] == method]
        for inputs, style in (("train", "-o"), ("held-out", "--s")):
            g = sub[sub["inputs"] == inputs].groupby("epoch")["ild_loss"]
            mean, std = g.mean(), g.std().fillna(0.0)
            ax.plot(mean.index, mean.values, style, label=inputs, ms=3)
            ax.fill_between(mean.index, mean - std, mean + std, alpha=0.2)
        ax.set_title(method)
        ax.set_xlabel("stage-1 epoch")
        ax.set_ylabel("ILD loss (method's own objective)")
        ax.legend()
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_methods(summary: pd.DataFrame, title: str = "") -> plt.Figure:
    """Grouped bars: best-on-dev vs last checkpoint per method, one panel per task."""
    tasks = list(dict.fromkeys(summary["task"]))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.4), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        sub = summary[summary["task"] == task]
        methods = list(dict.fromkeys(sub["method"]))
        x = np.arange(len(methods))
        for k, sel in enumerate(("best", "last")):
            s = sub[sub["selection"] == sel].set_index("method").reindex(methods)
            ax.bar(
                x + (k - 0.5) * 0.4, s["mean"], 0.4, yerr=s["std"].fillna(0), label=sel, capsize=2
            )
        ax.set_xticks(x, methods, rotation=60, ha="right", fontsize=7)
        ax.set_title(task)
        ax.set_ylabel("dev selection metric x100")
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_flatness(flat: pd.DataFrame, title: str = "") -> plt.Figure:
    """Dev selection metric x100 against relative weight-noise level, one line per method."""
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    for method, sub in flat.groupby("method", sort=False):
        g = sub.groupby("sigma")["select"]
        mean, std = 100 * g.mean(), 100 * g.std().fillna(0.0)
        ax.errorbar(
            mean.index, mean.values, yerr=std.values, marker="o", ms=3, capsize=2, label=method
        )
    ax.set_xlabel("relative weight noise sigma")
    ax.set_ylabel("dev selection metric x100")
    ax.legend()
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
