"""Tables of the temporal page: scores over seeds with 95 % intervals, stream statistics.

Input contract: the long results of :mod:`repro.twlv.temporal_runner` (columns ``seed,
encoder, task, subset, metric, value``) and the per-stream segments of
:mod:`repro.twlv.streams`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from repro.core.claims import t_interval
from repro.twlv import streams as st
from repro.twlv.tables import ENCODER_LABELS

#: Labels of the feature names beyond the benchmark encoders.
FEATURE_LABELS = {
    **ENCODER_LABELS,
    "image+motion": "image-style + motion-sensitive (concatenated)",
    "oracle": "oracle: noisy one-hot of the true class (control)",
}
TAS_METRICS = ("accuracy", "edit", "f1@10", "f1@25", "f1@50", "mF1")
#: Features the page's prose quotes; their glue keys exist whichever features ran.
PROSE_FEATURES = ("image", "motion", "videomae", "image+motion", "oracle")


def feature_label(name: str) -> str:
    """Readable name of a feature (``a+b`` joins the parts' labels)."""
    if name in FEATURE_LABELS:
        return FEATURE_LABELS[name]
    return " + ".join(ENCODER_LABELS.get(p, p) for p in name.split("+"))


def summarise_intervals(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, 95 % Student-t interval and seed count of ``value`` within ``by`` groups."""
    rows = []
    for key, part in results.groupby(by, sort=False):
        mean, low, high = t_interval(list(part["value"]))
        keys = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, keys, strict=True)), "mean": mean, "ci_low": low,
                     "ci_high": high, "n_seeds": len(part)})  # fmt: skip
    return pd.DataFrame(rows)


def _cell(mean: float, low: float, high: float) -> str:
    if np.isnan(mean):
        return "n/a"
    return f"{mean:.1f}" if np.isnan(low) else f"{mean:.1f} [{low:.1f}, {high:.1f}]"


def score_table(
    results: pd.DataFrame, task: str, subset: str, metrics: list[str] | tuple[str, ...]
) -> pd.DataFrame:
    """Display table: one row per feature, ``mean [95 % interval]`` per metric."""
    sel = results[
        (results["task"] == task) & (results["subset"] == subset)
        & results["metric"].isin(metrics)
    ]  # fmt: skip
    summary = summarise_intervals(sel, ["encoder", "metric"])
    summary["cell"] = [_cell(*v) for v in summary[["mean", "ci_low", "ci_high"]].to_numpy()]
    table = summary.pivot(index="encoder", columns="metric", values="cell")
    order = [e for e in dict.fromkeys(sel["encoder"])]
    table = table.loc[order, [m for m in metrics if m in table.columns]]
    table.index = [feature_label(e) for e in table.index]
    return table.rename_axis("features").reset_index()


def subset_table(results: pd.DataFrame) -> pd.DataFrame:
    """TAS accuracy and TAL mAP (tIoU 0.3:0.1:0.7) per kind of class, one row per feature."""
    parts = []
    for task, metric, what in (("tas", "accuracy", "TAS accuracy"),
                               ("tal", "thumos_avg", "TAL mAP")):  # fmt: skip
        sel = results[(results["task"] == task) & (results["metric"] == metric)
                      & (results["subset"] != "all")]  # fmt: skip
        parts.append(sel.assign(metric=what + ", " + sel["subset"] + "-defined"))
    both = pd.concat(parts, ignore_index=True)
    return score_table(
        both.assign(task="x", subset="x"), "x", "x", list(dict.fromkeys(both["metric"]))
    )


def stream_statistics(segments: list[list[tuple[int, int, int]]], n_windows: int) -> pd.DataFrame:
    """Per kind of class: segments, mean / median / max length (windows) and share of windows."""
    rows = []
    total = n_windows * len(segments)
    for kind in st.KINDS:
        labels = set(st.classes_of_kind(kind))
        lengths = np.array([e - s for segs in segments for lab, s, e in segs if lab in labels])
        rows.append({
            "kind": kind,
            "classes": len(labels),
            "segments": len(lengths),
            "mean length": float(lengths.mean()) if len(lengths) else np.nan,
            "median length": float(np.median(lengths)) if len(lengths) else np.nan,
            "max length": int(lengths.max()) if len(lengths) else 0,
            "share of windows (%)": 100.0 * lengths.sum() / total,
        })  # fmt: skip
    return pd.DataFrame(rows)


def headline(results: pd.DataFrame, encoders: tuple[str, ...] = PROSE_FEATURES) -> dict[str, float]:
    """Mean over seeds of the numbers the prose quotes, keyed for glue (NaN where not run)."""
    means = results.groupby(["task", "subset", "metric", "encoder"])["value"].mean()
    picks = {
        "tas_acc_motion": ("tas", "motion", "accuracy"),
        "tas_acc_appearance": ("tas", "appearance", "accuracy"),
        "tas_acc_both": ("tas", "both", "accuracy"),
        "tas_mf1": ("tas", "all", "mF1"),
        "tal_thumos": ("tal", "all", "thumos_avg"),
        "tal_anet": ("tal", "all", "anet_avg"),
        "tal_thumos_motion": ("tal", "motion", "thumos_avg"),
    }
    return {
        f"{key}_{e.replace('+', '_')}": float(means.get((*where, e), np.nan))
        for key, where in picks.items()
        for e in encoders
    }
