"""Figures of the ILD-overfitting probe (seaborn; returned for ``run.show_figure``, no I/O).

Every figure shows the mean over seeds with its 95 % interval, and the seeds themselves
where they fit, so the reader sees the spread the verdicts are computed from.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns


def _panel(row: pd.Series) -> str:
    if row["kind"] == "total":
        return "total (method's layer pairs)"
    where = "embeddings" if row["layer"] == 0 else f"student layer {int(row['layer'])}"
    return f"{row['kind']}, {where}"


def plot_layer_gaps(growth: pd.DataFrame, settings: list[str]) -> plt.Figure:
    """Gap growth (held-out minus train, step 0 subtracted) per stage-1 step, one panel per layer.

    Args:
        growth: :func:`repro.crild.probe_report.gap_growth`.
        settings: settings to draw, in legend order.
    """
    data = growth[growth["setting"].isin(settings)].copy()
    data["panel"] = data.apply(_panel, axis=1)
    order = sorted(data["panel"].unique(), key=lambda p: (p.startswith("total"), p))
    grid = sns.relplot(
        data=data, x="step", y="growth", hue="setting", hue_order=settings, col="panel",
        col_order=order, col_wrap=3, kind="line", errorbar=("ci", 95), marker="o",
        markersize=3, height=2.6, aspect=1.25, facet_kws={"sharey": False},
    )  # fmt: skip
    for ax in grid.axes.flat:
        ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
        ax.set_title(ax.get_title().removeprefix("panel = "), fontsize=8)
    grid.set_axis_labels("stage-1 step", "gap growth")
    return grid.figure


def plot_distances(growth: pd.DataFrame, settings: list[str]) -> plt.Figure:
    """Clean distance (method's layer pairs) on training and held-out inputs per step."""
    tot = growth[(growth["kind"] == "total") & growth["setting"].isin(settings)]
    long = tot.melt(
        id_vars=["setting", "seed", "step"], value_vars=["train", "held-out"],
        var_name="inputs", value_name="distance",
    )  # fmt: skip
    grid = sns.relplot(
        data=long, x="step", y="distance", hue="inputs", col="setting", col_order=settings,
        kind="line", errorbar=("ci", 95), marker="o", markersize=3, height=2.6, aspect=1.0,
        facet_kws={"sharey": False},
    )  # fmt: skip
    for ax in grid.axes.flat:
        ax.set_title(ax.get_title().removeprefix("setting = "), fontsize=8)
        ax.set_ylim(bottom=0)
    grid.set_axis_labels("stage-1 step", "clean distance")
    return grid.figure


def plot_scores(scores: pd.DataFrame, teacher_acc: float) -> plt.Figure:
    """Dev accuracy x100 after stage 2 against the stage-1 checkpoint it started from."""
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    settings = list(dict.fromkeys(scores["setting"]))
    sns.lineplot(
        data=scores, x="step", y="dev_acc", hue="setting", hue_order=settings, units="seed",
        estimator=None, alpha=0.25, linewidth=0.8, legend=False, ax=ax,
    )  # fmt: skip
    sns.lineplot(
        data=scores, x="step", y="dev_acc", hue="setting", hue_order=settings,
        errorbar=("ci", 95), marker="D", err_style="bars", ax=ax,
    )  # fmt: skip
    ax.axhline(100 * teacher_acc, color="0.4", linestyle="--", linewidth=0.8, label="teacher")
    ax.axhline(50.0, color="0.7", linestyle=":", linewidth=0.8, label="chance")
    ax.set_xlabel("stage-1 step of the checkpoint")
    ax.set_ylabel("dev accuracy x100 after stage 2")
    ax.set_xticks(sorted(scores["step"].unique()))
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
