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


def plot_ablation(diffs: pd.DataFrame, table: pd.DataFrame) -> plt.Figure:
    """Ablation: each step's per-seed paired difference to its baseline, with the t-interval.

    Args:
        diffs: :func:`repro.crild.ablation.ablation_differences` (``step, vs, seed, diff_x100``).
        table: :func:`repro.crild.ablation.ablation_table` (its ``diff_x100, ci_low, ci_high``
            are the estimates and 95 % intervals the verdicts use).
    """
    order = list(dict.fromkeys(diffs["step"]))
    labels = {r.step: f"{r.step}\nvs {r.vs}" for r in diffs.drop_duplicates("step").itertuples()}
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    sns.stripplot(
        data=diffs, x="step", y="diff_x100", order=order, color="0.45", alpha=0.8,
        size=5, jitter=0.08, ax=ax, label="one student seed",
    )  # fmt: skip
    est = table.set_index("step").loc[order]
    ax.errorbar(
        range(len(order)), est["diff_x100"],
        yerr=[est["diff_x100"] - est["ci_low"], est["ci_high"] - est["diff_x100"]],
        fmt="D", color="C0", capsize=4, label="mean, 95 % t-interval",
    )  # fmt: skip
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xticks(range(len(order)), [labels[s] for s in order])
    ax.set_xlabel("")
    ax.set_ylabel("paired difference, dev metric x100")
    ax.tick_params(axis="x", rotation=0, labelsize=6)
    handles, names = ax.get_legend_handles_labels()
    keep = {n: h for h, n in zip(handles, names, strict=True)}  # one entry per label
    ax.legend(keep.values(), keep.keys(), fontsize=7)
    fig.tight_layout()
    return fig
