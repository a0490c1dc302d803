"""Figures of results over seeds (seaborn; no I/O: figures are returned for ``run.show_figure``).

Every figure shows the per-seed values as points and the mean with its 95 % interval, so the
reader sees the spread that the verdicts are computed from.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator


def _select_x100(results: pd.DataFrame) -> pd.DataFrame:
    sub = results[results["metric"] == "select"].copy()
    sub["value_x100"] = 100 * sub["value"]
    return sub


def plot_methods(results: pd.DataFrame, title: str = "") -> plt.Figure:
    """Dev selection metric x100 per method, one panel per task: seeds as points, mean ± 95 % CI.

    Args:
        results: long run table (``task, method, seed, selection, metric, value``).
    """
    sub = _select_x100(results)
    tasks = list(dict.fromkeys(sub["task"]))
    fig, axes = plt.subplots(
        1, len(tasks), figsize=(4.4 * len(tasks), 3.6), squeeze=False, sharey=False
    )
    order = list(dict.fromkeys(sub["method"]))
    for ax, task in zip(axes[0], tasks, strict=True):
        t = sub[sub["task"] == task]
        sns.stripplot(
            data=t, x="method", y="value_x100", hue="selection", order=order,
            hue_order=["best", "last"], dodge=True, alpha=0.5, size=4, ax=ax, legend=False,
        )  # fmt: skip
        sns.pointplot(
            data=t, x="method", y="value_x100", hue="selection", order=order,
            hue_order=["best", "last"], dodge=0.4, errorbar=("ci", 95), linestyle="none",
            markers="D", capsize=0.1, ax=ax,
        )  # fmt: skip
        ax.set_title(task)
        ax.set_xlabel("")
        ax.set_ylabel("dev selection metric x100")
        ax.tick_params(axis="x", rotation=60, labelsize=7)
        ax.legend(fontsize=7, title="selection", title_fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_gap(gaps: pd.DataFrame, title: str = "") -> plt.Figure:
    """Growth of the clean held-out minus train gap per stage-1 epoch, per method.

    Args:
        gaps: :func:`repro.crild.tables.gap_curves` (``method, seed, epoch, gap_growth``).
    """
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    sns.lineplot(
        data=gaps, x="epoch", y="gap_growth", hue="method", errorbar=("ci", 95),
        marker="o", ax=ax,
    )  # fmt: skip
    sns.scatterplot(
        data=gaps, x="epoch", y="gap_growth", hue="method", alpha=0.35, s=14, ax=ax,
        legend=False,
    )  # fmt: skip
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("stage-1 epoch (0 = before ILD)")
    ax.set_ylabel("gap(epoch) - gap(0)")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_curves(curves: pd.DataFrame, measure: str = "clean", title: str = "") -> plt.Figure:
    """Layer distance on training vs held-out inputs per epoch, one panel per method."""
    sub = curves[curves["measure"] == measure]
    methods = list(dict.fromkeys(sub["method"]))
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 3.2), squeeze=False)
    for ax, method in zip(axes[0], methods, strict=True):
        sns.lineplot(
            data=sub[sub["method"] == method], x="epoch", y="value", hue="inputs",
            style="inputs", errorbar=("ci", 95), marker="o", ax=ax,
        )  # fmt: skip
        ax.set_title(method)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("stage-1 epoch (0 = before ILD)")
        ax.set_ylabel(f"layer distance ({measure})")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_flatness(flat: pd.DataFrame, title: str = "") -> plt.Figure:
    """Dev selection metric x100 against relative weight noise, per method (mean ± 95 % CI)."""
    data = flat.assign(select_x100=100 * flat["select"])
    fig, ax = plt.subplots(figsize=(4.8, 3.3))
    sns.lineplot(
        data=data, x="sigma", y="select_x100", hue="method", errorbar=("ci", 95),
        marker="o", ax=ax,
    )  # fmt: skip
    ax.set_xlabel("relative weight noise sigma")
    ax.set_ylabel("dev selection metric x100")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_ablation(results: pd.DataFrame, steps: list[tuple[str, str]]) -> plt.Figure:
    """Ablation steps: per-seed dev metric x100 (task mean) as points, mean ± 95 % CI.

    Args:
        results: long run table.
        steps: ``(label, method)`` pairs in step order (those that ran).
    """
    sub = _select_x100(results[results["selection"] == "best"])
    per_seed = sub.groupby(["method", "seed"], sort=False)["value_x100"].mean().reset_index()
    label = dict((m, lab) for lab, m in steps)
    per_seed = per_seed[per_seed["method"].isin(label)].assign(
        step=lambda d: d["method"].map(label)
    )
    order = [lab for lab, m in steps if m in set(per_seed["method"])]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    sns.stripplot(
        data=per_seed, x="step", y="value_x100", order=order, color="grey", alpha=0.6,
        size=5, ax=ax,
    )  # fmt: skip
    sns.pointplot(
        data=per_seed, x="step", y="value_x100", order=order, errorbar=("ci", 95),
        linestyle="none", markers="D", capsize=0.1, color="C0", ax=ax,
    )  # fmt: skip
    ax.set_xlabel("")
    ax.set_ylabel("dev selection metric x100 (best-on-dev)")
    ax.tick_params(axis="x", rotation=30, labelsize=7)
    fig.tight_layout()
    return fig
