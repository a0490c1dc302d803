"""Figures for the NASH pages. Each function takes a results table and returns a Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def _k_order(values) -> list[str]:
    ks = sorted({v for v in values if v != "all"}, key=int)
    return (["all"] if "all" in set(values) else []) + sorted(ks, key=int, reverse=True)


def latency_anatomy(df: pd.DataFrame, title: str) -> Figure:
    """Speedup against decoder depth, one line per encoder sparsity, one panel per setup.

    Each line is one interleaved group (one encoder sparsity); its ``k=all`` point
    is the narrowed model with the full decoder (speedup 1 for sparsity 0).

    Args:
        df: Records of :func:`repro.nash.latency.latency_grid` (columns ``arch``,
            ``decoder_layers``, ``encoder_sparsity``, ``batch``, ``output_len``,
            ``num_beams``, ``speedup``).
        title: Figure title (should name the device).
    """
    panels = df[["arch", "batch", "output_len", "num_beams"]].drop_duplicates().to_numpy().tolist()
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False, sharey=True
    )
    for ax, (arch, batch, out_len, beams) in zip(axes[0], panels, strict=True):
        sub = df[
            (df.arch == arch)
            & (df.batch == batch)
            & (df.output_len == out_len)
            & (df.num_beams == beams)
        ]
        if (
            "sparsity_group" in sub
        ):  # the full reference is re-timed in every group; keep each group's own
            sub = sub[sub.encoder_sparsity == sub.sparsity_group]
        order = _k_order(sub.decoder_layers.unique())
        for s, g in sub.groupby("encoder_sparsity"):
            g = g.set_index("decoder_layers").reindex(order).dropna(subset=["speedup"])
            ax.plot(range(len(g)), g.speedup, marker="o", label=f"encoder sparsity {s:g}")
            ax.set_xticks(range(len(g)), g.index)
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")
        search = "greedy" if beams == 1 else f"beam {beams}"
        ax.set_title(f"{arch}, batch {batch}, {out_len} tokens, {search}", fontsize=9)
        ax.set_xlabel("decoder layers kept (k)")
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("speedup vs full model (x)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def time_breakdown(df: pd.DataFrame, title: str) -> Figure:
    """Stacked bars of encoder / decoder / output layer / other time per configuration."""
    parts = ["encoder_ms", "decoder_ms", "lm_head_ms", "other_ms"]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.55 * len(df)), 3.4))
    bottom = np.zeros(len(df))
    for p in parts:
        ax.bar(range(len(df)), df[p], bottom=bottom, label=p.replace("_ms", ""))
        bottom += df[p].to_numpy()
    ax.set_xticks(range(len(df)), df["config"], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("ms per generate call")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def quality_vs_speedup(summary: pd.DataFrame, metric: str, title: str) -> Figure:
    """Mean quality against mean measured speedup per method, error bars = std over seeds.

    Args:
        summary: Output of :func:`repro.nash.methods.summarize` (``<metric>_mean``/``_std``).
    """
    fig, ax = plt.subplots(figsize=(6.2, 3.6))
    for _, row in summary.iterrows():
        x = row.get("speedup_mean", 1.0)
        xerr = row.get("speedup_std", 0.0)
        ax.errorbar(
            x,
            row[f"{metric}_mean"],
            xerr=0.0 if pd.isna(xerr) else xerr,
            yerr=0.0 if pd.isna(row[f"{metric}_std"]) else row[f"{metric}_std"],
            marker="o",
            capsize=3,
            label=row["method"],
        )
    ax.set_xlabel("measured speedup vs teacher (x)")
    ax.set_ylabel(metric)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def sparsity_trajectory(history: pd.DataFrame, title: str) -> Figure:
    """Expected sparsity and the ramped target against step, per method (first seed)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    first = history[history.seed == history.seed.min()]
    for method, g in first.groupby("method"):
        ax.plot(g.step, g.expected_sparsity, label=f"{method}: expected")
        ax.plot(g.step, g.target, ls="--", lw=0.8, label=f"{method}: target")
    ax.set_xlabel("pruning step")
    ax.set_ylabel("sparsity")
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def methods_over_seeds(results: pd.DataFrame, metrics: list[str], title: str) -> Figure:
    """One panel per metric: every seed as a point, the mean with its 95 % interval per method.

    Args:
        results: Long table ``method, seed, metric, value`` (:func:`repro.nash.methods.run_seed`).
        metrics: Metrics to show, e.g. ``["rougeL", "speedup"]``.
    """
    import seaborn as sns

    order = list(dict.fromkeys(results.method))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        sub = results[results.metric == metric]
        sns.stripplot(
            data=sub, x="value", y="method", order=order, ax=ax, color="0.55", size=4, jitter=0.15
        )
        sns.pointplot(
            data=sub,
            x="value",
            y="method",
            order=order,
            ax=ax,
            errorbar=("ci", 95),
            linestyle="none",
            color="C0",
            markers="D",
            capsize=0.2,
        )
        ax.set_xlabel(metric)
        ax.set_ylabel("")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def round_speedups(values: dict[str, np.ndarray], labels: dict[str, str], title: str) -> Figure:
    """Per-round speedup values of the latency claims as strips with their mean."""
    import seaborn as sns

    rows = [
        {"claim": labels.get(k, k), "value": float(v)} for k, vals in values.items() for v in vals
    ]
    df = pd.DataFrame(rows, columns=["claim", "value"])
    fig, ax = plt.subplots(figsize=(6.4, 0.6 + 0.8 * max(1, df.claim.nunique())))
    if len(df):
        sns.stripplot(data=df, x="value", y="claim", ax=ax, color="0.55", size=4, jitter=0.15)
        sns.pointplot(
            data=df, x="value", y="claim", ax=ax, errorbar=("ci", 95), linestyle="none",
            color="C0", markers="D", capsize=0.2,
        )  # fmt: skip
    ax.set_xlabel("value per timing round")
    ax.set_ylabel("")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def quality_vs_size(results: pd.DataFrame, sweep: pd.DataFrame, metric: str, title: str) -> Figure:
    """Quality against the *achieved* overall sparsity: one point per method and seed, the
    mean per method, and NASH's frontier (the encoder-sparsity sweep at fixed k) as a line.

    Args:
        results: ``method, seed, metric, value`` (needs ``overall_sparsity`` and ``metric``).
        sweep: ``target, seed, metric, value`` of the sweep (may be empty).
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.8))

    def wide(df: pd.DataFrame, key: str) -> pd.DataFrame:
        keep = df[df.metric.isin([metric, "overall_sparsity"])]
        return keep.pivot_table(index=[key, "seed"], columns="metric", values="value").reset_index()

    if len(sweep):
        w = wide(sweep, "target")
        ax.scatter(w.overall_sparsity, w[metric], s=10, color="C0", alpha=0.35)
        mean = w.groupby("target")[["overall_sparsity", metric]].mean()
        ax.plot(mean.overall_sparsity, mean[metric], "-o", color="C0", label="NASH, s swept")
        for t, row in mean.iterrows():
            ax.annotate(f"s={t:g}", (row.overall_sparsity, row[metric]), fontsize=6,
                        textcoords="offset points", xytext=(3, 3))  # fmt: skip
    w = wide(results, "method")
    for i, (m, g) in enumerate(w.groupby("method", sort=False)):
        color = f"C{i + 1}"
        ax.scatter(g.overall_sparsity, g[metric], s=10, color=color, alpha=0.35)
        ax.scatter(g.overall_sparsity.mean(), g[metric].mean(), s=60, marker="D", color=color,
                   label=m)  # fmt: skip
    ax.set_xlabel("achieved overall prunable sparsity (encoder + decoder)")
    ax.set_ylabel(metric)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def sweep_quality(sweep: pd.DataFrame, metric: str, title: str) -> Figure:
    """Quality against the encoder target sparsity: every seed and the mean with its 95 % CI."""
    import seaborn as sns

    sub = sweep[sweep.metric == metric].copy()
    sub["target"] = sub.target.map(lambda t: f"{t:g}")
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    sns.stripplot(data=sub, x="target", y="value", ax=ax, color="0.55", size=4, jitter=0.1)
    sns.pointplot(data=sub, x="target", y="value", ax=ax, errorbar=("ci", 95), color="C0",
                  markers="D", capsize=0.2)  # fmt: skip
    ax.set_xlabel("NASH encoder target sparsity s (fixed decoder depth)")
    ax.set_ylabel(metric)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
