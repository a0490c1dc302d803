"""kNN sensitivity to k on the synthetic benchmark: the figure and the numbers the page glues.

The official ``knn/main.py`` fixes k = 200, a value set for a K400-sized bank (about 590
training videos per class). On a bank of a few hundred videos, k = 200 reaches deep into
other classes, so the vote is diluted; :func:`repro.twlv.knn.scaled_k` rescales k to the
same share of a class. Input: the long results of :mod:`repro.twlv.runner` (rows with
metric ``top1_at_k`` and columns ``k``, ``k_rule``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from repro.twlv.tables import ENCODER_LABELS

MODE_ORDER = ("uniform", "clip", "video")


def sensitivity_rows(results: pd.DataFrame) -> pd.DataFrame:
    """The k-sweep rows: seed, encoder, task, mode, k, k_rule, value (top-1, %)."""
    columns = ["seed", "encoder", "task", "mode", "k", "k_rule", "value"]
    if "k" not in results.columns:  # the paper tier runs no k sweep
        return pd.DataFrame(columns=columns)
    sel = results[results["metric"] == "top1_at_k"].copy()
    sel["mode"] = sel["protocol"].str.removeprefix("knn_")
    sel["k"] = sel["k"].astype(int)
    return sel[columns].reset_index(drop=True)


def sensitivity_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds per encoder, task, mode, k rule and k (tidy, for saving)."""
    rows = sensitivity_rows(results)
    grouped = rows.groupby(["encoder", "task", "mode", "k_rule", "k"], sort=False)["value"]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    return out.rename(columns={"count": "n_seeds"}).round({"mean": 2, "std": 2})


def k200_cost(results: pd.DataFrame, k_official: int = 200) -> pd.DataFrame:
    """Per seed, encoder, task and mode: top-1 at the bank-scaled k minus at ``k_official``."""
    rows = sensitivity_rows(results)
    keys = ["seed", "encoder", "task", "mode"]
    scaled = rows[rows["k_rule"] == "scaled"].set_index(keys)
    fixed = rows[(rows["k_rule"] == "grid") & (rows["k"] == k_official)].set_index(keys)
    both = scaled[["k", "value"]].join(fixed["value"], rsuffix="_official", how="inner")
    both = both.rename(columns={"k": "k_scaled", "value": "top1_scaled"})
    both["cost"] = both["top1_scaled"] - both["value_official"]
    return both.reset_index()


def k200_numbers(results: pd.DataFrame) -> dict[str, float | str]:
    """Glue values: the mean cost of k = 200 and its largest cell (encoder, task, mode)."""
    cost = k200_cost(results)
    cells = cost.groupby(["encoder", "task", "mode"], sort=False)["cost"].mean()
    worst = cells.idxmax() if len(cells) else ("", "", "")
    scaled = cost.groupby("mode")["k_scaled"].first()
    return {
        "knn_k200_cost_mean": float(cost["cost"].mean()) if len(cost) else float("nan"),
        "knn_k200_cost_max": float(cells.max()) if len(cells) else float("nan"),
        "knn_k200_cost_max_where": (
            f"{ENCODER_LABELS.get(worst[0], worst[0])}, {worst[1]} task, {worst[2]} kNN"
        ),
        "knn_k_scaled_video": float(scaled.get("video", np.nan)),
        "knn_k_scaled_clip": float(scaled.get("clip", np.nan)),
    }


def k200_sentence(numbers: dict[str, float | str]) -> str:
    """The page's sentence on what k = 200 costs, from :func:`k200_numbers` (Markdown)."""
    mean, worst = numbers["knn_k200_cost_mean"], numbers["knn_k200_cost_max"]
    if not np.isfinite(mean):
        return " "
    side = "lower" if mean > 0 else "higher"
    text = (
        f"Averaged over encoders, tasks, modes and seeds, top-1 at k = 200 is **{abs(mean):.1f} "
        f"points {side}** than at the scaled k."
    )
    if worst > 0:
        text += (
            f" The largest mean gap, {worst:.1f} points in favour of the scaled k, is for the "
            f"{numbers['knn_k200_cost_max_where']}."
        )
    return text + (
        " The Table 6 analogue above keeps the official k = 200, so its absolute numbers carry "
        "this difference; its comparisons between modes use the same k throughout."
    )


def plot_knn_sensitivity(results: pd.DataFrame, title: str) -> plt.Figure:
    """Top-1 against k (log axis) per task (rows) and encoder (columns), one line per mode.

    Lines: mean over seeds with a 95 % interval band; stars: the bank-scaled k.
    """
    rows = sensitivity_rows(results)
    tasks = list(dict.fromkeys(rows["task"]))
    encoders = list(dict.fromkeys(rows["encoder"]))
    palette = dict(zip(MODE_ORDER, sns.color_palette("colorblind", len(MODE_ORDER)), strict=True))
    fig, axes = plt.subplots(
        len(tasks), len(encoders), figsize=(3.2 * len(encoders), 2.8 * len(tasks)),
        sharex=True, sharey="row", squeeze=False,
    )  # fmt: skip
    for i, task in enumerate(tasks):
        for j, encoder in enumerate(encoders):
            ax = axes[i][j]
            cell = rows[(rows["task"] == task) & (rows["encoder"] == encoder)]
            grid = cell[cell["k_rule"] == "grid"]
            sns.lineplot(
                grid, x="k", y="value", hue="mode", hue_order=MODE_ORDER, palette=palette,
                errorbar=("ci", 95), marker="o", ax=ax, legend=(i == 0 and j == 0),
            )  # fmt: skip
            scaled = cell[cell["k_rule"] == "scaled"].groupby("mode")[["k", "value"]].mean()
            for mode, point in scaled.iterrows():
                ax.scatter(point["k"], point["value"], marker="*", s=160, color=palette[mode],
                           edgecolor="black", zorder=5)  # fmt: skip
            ax.set_xscale("log")
            ax.set_title(f"{ENCODER_LABELS.get(encoder, encoder)}\n{task} task", fontsize=8)
            ax.set_xlabel("k (neighbours)")
            ax.set_ylabel("top-1 (%)" if j == 0 else "")
    handles, labels = axes[0][0].get_legend_handles_labels()
    if axes[0][0].get_legend() is not None:
        axes[0][0].get_legend().remove()
    handles.append(plt.Line2D([], [], marker="*", linestyle="", color="grey", markersize=12))
    labels.append("k scaled to the bank")
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
