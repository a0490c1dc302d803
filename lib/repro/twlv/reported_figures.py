"""Re-plots of TWLV-I figures from the paper's own (transcribed) numbers.

Fig. 2 of the paper contrasts appearance-centric with motion-centric benchmark
scores but does not say which table underlies it; we re-plot it from a table's
top-1 values: appearance = mean of K400 and MiT, motion = mean of SSv2 and DV48
(the paper's Table 2 classifies the benchmarks this way).
"""

from __future__ import annotations

import pandas as pd

APPEARANCE_DATASETS = ("K400", "MiT")
MOTION_DATASETS = ("SSv2", "DV48")


def appearance_motion_scores(reported: pd.DataFrame, table: str = "Table 3") -> pd.DataFrame:
    """Mean top-1 over appearance-centric and motion-centric benchmarks per model.

    Args:
        reported: Tidy TWLV-I rows (``reported/twlv_i.csv``).
        table: Which table's values to use (``"Table 3"`` linear or ``"Table 5"`` attentive).

    Returns:
        Columns model, backbone, appearance, motion, in_pretraining (any dagger among
        the motion datasets, which inflates that model's motion score).
    """
    rows = reported[reported["source"].str.endswith(table) & (reported["metric"] == "top1")]
    records = []
    for (model, backbone), group in rows.groupby(["model", "backbone"], sort=False):
        values = group.set_index("dataset")
        records.append(
            {
                "model": model,
                "backbone": backbone,
                "appearance": float(values.loc[list(APPEARANCE_DATASETS), "value"].mean()),
                "motion": float(values.loc[list(MOTION_DATASETS), "value"].mean()),
                "in_pretraining": bool(values.loc[list(MOTION_DATASETS), "in_pretraining"].any()),
            }
        )
    return pd.DataFrame.from_records(records)


def plot_appearance_motion(scores: pd.DataFrame, title: str):
    """Scatter of appearance vs motion score, one labelled point per (model, backbone).

    Returns:
        The matplotlib ``Figure`` (never saved here).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    placed: list[tuple[float, float]] = []
    for row in scores.itertuples(index=False):
        is_ours = row.model.startswith("TWLV-I")
        ax.scatter(
            row.appearance,
            row.motion,
            s=60,
            marker="*" if is_ours else "o",
            color="tab:red" if is_ours else "tab:blue",
            edgecolor="black" if row.in_pretraining else "none",
        )
        label = f"{row.model} {row.backbone}" + (" †" if row.in_pretraining else "")
        # Nearby points (e.g. the two TWLV-I ViT-L rows) get their labels below, not on top.
        crowded = any(abs(row.appearance - x) < 2 and abs(row.motion - y) < 1 for x, y in placed)
        placed.append((row.appearance, row.motion))
        ax.annotate(
            label,
            (row.appearance, row.motion),
            fontsize=7,
            xytext=(4, -10 if crowded else 3),
            textcoords="offset points",
        )
    ax.set_xlabel("appearance score: mean top-1 of K400 and MiT (%)")
    ax.set_ylabel("motion score: mean top-1 of SSv2 and DV48 (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
