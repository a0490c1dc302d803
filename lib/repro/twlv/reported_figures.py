"""Re-plots of TWLV-I figures from the paper's own (transcribed) numbers.

Fig. 1 (TWLV-I ViT-L against the best competitor per task) is rebuilt from Tables 3, 5, 6
and 9-12; see :func:`best_competitor_per_task` for the headline metric of each task.

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


# Fig. 1 of the paper compares TWLV-I ViT-L with the best competitor on each task but
# prints no values; we rebuild it from the transcribed tables, one headline metric per
# (table, benchmark): top-1 for recognition (Tables 3, 5, 6), the mAP averaged over the
# tIoU thresholds for localisation (Tables 9, 10, both heads), fAP@0.5 for AVA (Table 11)
# and mF1 for segmentation (Table 12).
OURS = ("TWLV-I", "ViT-L")
#: (table, protocol, dataset, metric, task label). Protocol None: any in that table.
FIG1_TASKS: tuple[tuple[str, str | None, str, str, str], ...] = (
    *(
        ("Table 3", "linear_probe", d, "top1", f"linear {d}")
        for d in ("K400", "MiT", "SSv2", "DV48", "EK", "IN1K")
    ),
    *(
        ("Table 5", "attentive_probe", d, "top1", f"attentive {d}")
        for d in ("K400", "MiT", "SSv2", "DV48", "EK", "IN1K")
    ),
    *(
        ("Table 6", f"knn_{v}", d, "top1", f"kNN {v} {d}")
        for d in ("K400", "SSv2")
        for v in ("uniform", "clip", "video")
    ),
    ("Table 9", None, "THUMOS14", "self_mAP_avg", "TAL THUMOS14 self-contained"),
    ("Table 9", None, "THUMOS14", "ext_mAP_avg", "TAL THUMOS14 external cls."),
    ("Table 10", None, "ActivityNet-1.3", "self_mAP_avg", "TAL ANet self-contained"),
    ("Table 10", None, "ActivityNet-1.3", "ext_mAP_avg", "TAL ANet external cls."),
    ("Table 11", None, "AVA-v2.2", "fAP@0.5", "STAL AVA"),
    *(("Table 12", None, d, "mF1", f"TAS {d}") for d in ("50Salads", "GTEA", "Breakfast")),
)
#: The paper's dagger in Tables 9-12, which the localisation CSV keeps only in its notes:
#: InternVideo2 has ActivityNet in its pretraining data (Table 10).
LOCALIZATION_IN_PRETRAINING = {("Table 10", "InternVideo2-s2")}
COMPETITOR_SCALES = ("ViT-L", "all")


def tidy_results(reported: pd.DataFrame, localization: pd.DataFrame) -> pd.DataFrame:
    """Tables 3, 5, 6 and 9-12 in one tidy frame with a boolean ``in_pretraining`` column."""
    loc = localization.copy()
    table = loc["source"].str.extract(r"(Table \d+)$")[0]
    loc["in_pretraining"] = [
        (t, m) in LOCALIZATION_IN_PRETRAINING for t, m in zip(table, loc["model"], strict=True)
    ]
    columns = ["source", "protocol", "model", "backbone", "dataset", "metric", "value"]
    rec = reported[[*columns, "in_pretraining"]].assign(
        in_pretraining=reported["in_pretraining"].astype(bool)
    )
    return pd.concat([rec, loc[[*columns, "in_pretraining"]]], ignore_index=True)


def best_competitor_per_task(
    tidy: pd.DataFrame,
    tasks: tuple[tuple[str, str | None, str, str, str], ...] = FIG1_TASKS,
    competitors: str = "ViT-L",
) -> pd.DataFrame:
    """TWLV-I ViT-L and the best other model on each task (the data of Fig. 1).

    Every TWLV-I row (including TWLV-I(+SSv2)) is excluded from the competitors; a
    competitor whose pretraining data holds the benchmark (the paper's dagger) still
    counts and is flagged. Ties name every tied model, joined by " / ".

    Args:
        tidy: Output of :func:`tidy_results`.
        tasks: (table, protocol, dataset, metric, label) per task.
        competitors: ``"ViT-L"`` (same-size models, the paper's ViT-L comparison) or
            ``"all"`` (every size).

    Returns:
        Columns task, table, ours, competitor, competitor_value, gap (ours minus
        competitor, points), competitor_in_pretraining; a task missing from ``tidy`` is
        left out.
    """
    if competitors not in COMPETITOR_SCALES:
        raise ValueError(f"competitors={competitors!r}: expected one of {COMPETITOR_SCALES}")
    records = []
    for table, protocol, dataset, metric, label in tasks:
        rows = tidy[
            tidy["source"].str.endswith(table)
            & (tidy["dataset"] == dataset)
            & (tidy["metric"] == metric)
            & ((tidy["protocol"] == protocol) if protocol is not None else True)
        ]
        ours = rows[(rows["model"] == OURS[0]) & (rows["backbone"] == OURS[1])]
        others = rows[~rows["model"].str.startswith("TWLV-I")]
        if competitors != "all":
            others = others[others["backbone"] == competitors]
        if ours.empty or others.empty:
            continue
        best = others[others["value"] == others["value"].max()]
        records.append(
            {
                "task": label,
                "table": table,
                "ours": float(ours["value"].iloc[0]),
                "competitor": " / ".join(best["model"] + " " + best["backbone"]),
                "competitor_value": float(best["value"].iloc[0]),
                "gap": float(ours["value"].iloc[0] - best["value"].iloc[0]),
                "competitor_in_pretraining": bool(best["in_pretraining"].any()),
            }
        )
    return pd.DataFrame.from_records(records)


def plot_best_competitor(data: pd.DataFrame, title: str):
    """Fig. 1 re-plot: scores of TWLV-I ViT-L and the best competitor, and their gap, per task.

    Returns:
        The matplotlib ``Figure`` (never saved here).
    """
    import matplotlib.pyplot as plt

    n = len(data)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(9.6, 0.28 * n + 1.4), sharey=True, gridspec_kw={"width_ratios": [3, 2]}
    )
    y = list(range(n))[::-1]
    left.scatter(data["competitor_value"], y, color="tab:blue", label="best competitor", zorder=3)
    left.scatter(data["ours"], y, marker="*", s=90, color="tab:red", label="TWLV-I ViT-L", zorder=3)
    left.hlines(
        y,
        data[["ours", "competitor_value"]].min(axis=1),
        data[["ours", "competitor_value"]].max(axis=1),
        color="0.6",
        lw=1,
    )
    names = [
        f"{c}{' †' if dagger else ''}"
        for c, dagger in zip(data["competitor"], data["competitor_in_pretraining"], strict=True)
    ]
    for yi, x, name in zip(y, data[["ours", "competitor_value"]].max(axis=1), names, strict=True):
        left.annotate(name, (x, yi), xytext=(6, -3), textcoords="offset points", fontsize=6.5)
    left.set_yticks(
        y,
        [
            f"{t} ({tab.replace('Table ', 'T')})"
            for t, tab in zip(data["task"], data["table"], strict=True)
        ],
        fontsize=7,
    )
    left.set_xlabel("reported score (%; top-1, mAP, fAP or mF1)")
    left.set_xlim(0, 110)
    left.legend(fontsize=7, loc="lower right")
    colours = ["tab:red" if g >= 0 else "tab:blue" for g in data["gap"]]
    right.barh(y, data["gap"], color=colours)
    right.axvline(0, color="black", lw=0.8)
    right.set_xlabel("TWLV-I ViT-L minus best competitor (points)")
    for ax in (left, right):
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
