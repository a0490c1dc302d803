"""Result tables from the long run tables (no I/O, no plotting).

Input contract: long frames from :func:`repro.crild.runner.result_rows`
(``setting, task, method, seed, selection, metric, value``) and tracked
:class:`repro.crild.runner.MethodRun` objects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: The methods of the layer-mapping analysis (U-ILD, EMD-ILD, L-ILD).
WHICH_LAYER = ["TinyBERT", "EMD", "L-ILD"]
#: ILD on the target inputs vs on mixup or other inputs, with/without the consistency term.
SUPPLEMENTARY = [
    "L-ILD",
    "L-ILD-mixup",
    "CR-ILD",
    "L-ILD-other",
    "L-ILD-QKV",
    "CR-ILD-released",
]


def summarise(df: pd.DataFrame, metric: str = "select", scale: float = 100.0) -> pd.DataFrame:
    """Mean, s.d. and count over seeds of one metric, per setting/task/method/selection."""
    sub = df[df["metric"] == metric]
    g = sub.groupby(["setting", "task", "method", "selection"], sort=False)["value"]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out[["mean", "std"]] = out[["mean", "std"]] * scale
    return out


def with_average(summary: pd.DataFrame) -> pd.DataFrame:
    """Adds a per-method ``task = "avg"`` row (mean over tasks of the seed means)."""
    avg = (
        summary.groupby(["setting", "method", "selection"], sort=False)["mean"]
        .mean()
        .reset_index()
        .assign(task="avg", std=np.nan, count=np.nan)
    )
    return pd.concat([summary, avg[summary.columns]], ignore_index=True)


def cell(mean: float, std: float) -> str:
    """``"mean ± sd"`` with one decimal (``sd`` omitted when undefined)."""
    return f"{mean:.1f}" if np.isnan(std) else f"{mean:.1f} ± {std:.1f}"


def wide_table(
    summary: pd.DataFrame, selection: str = "best", methods: Sequence[str] | None = None
) -> pd.DataFrame:
    """Methods x tasks of ``mean ± sd`` strings for one selection rule (method as a column)."""
    sub = summary[summary["selection"] == selection].copy()
    if methods is not None:
        sub = sub[sub["method"].isin(methods)]
    sub["value"] = [cell(m, s) for m, s in zip(sub["mean"], sub["std"], strict=True)]
    cols = ["setting", "task"] if sub["setting"].nunique() > 1 else ["task"]
    wide = sub.pivot_table(
        index="method", columns=cols, values="value", aggfunc="first", sort=False
    )
    if isinstance(wide.columns, pd.MultiIndex):
        wide.columns = [" / ".join(map(str, c)) for c in wide.columns]
    return wide.reset_index()


def teacher_table(bundles: dict, setting: str = "standard") -> pd.DataFrame:
    """Best dev selection value of each fine-tuned teacher (x100, NaN evaluations skipped)."""
    return pd.DataFrame(
        [
            {
                "setting": setting,
                "task": t,
                "teacher_select_x100": 100 * np.nanmax([h["select"] for h in b.teacher_history]),
            }
            for t, b in bundles.items()
        ]
    )


def seed_values(
    results: pd.DataFrame,
    method: str,
    selection: str = "best",
    setting: str | None = None,
    metric: str = "select",
    scale: float = 100.0,
) -> pd.Series:
    """Per-seed value of ``method`` (mean over tasks), indexed by seed, sorted."""
    sub = results[
        (results["method"] == method)
        & (results["selection"] == selection)
        & (results["metric"] == metric)
    ]
    if setting is not None:
        sub = sub[sub["setting"] == setting]
    return scale * sub.groupby("seed")["value"].mean().sort_index()


def ild_curves(runs: Sequence) -> pd.DataFrame:
    """Long frame of tracked distances: ``method, seed, epoch, inputs, measure, value``.

    ``epoch`` 0 is before stage 1; ``measure`` is ``"objective"`` (the method's own loss)
    or ``"clean"`` (:mod:`repro.crild.ild_gap`).
    """
    rows = []
    for r in runs:
        tracked = (
            ("objective", "train", r.ild_train),
            ("objective", "held-out", r.ild_heldout),
            ("clean", "train", r.clean_train),
            ("clean", "held-out", r.clean_heldout),
        )
        for measure, inputs, values in tracked:
            for epoch, value in enumerate(values):
                rows.append(
                    {
                        "method": r.method,
                        "seed": r.seed,
                        "epoch": epoch,
                        "inputs": inputs,
                        "measure": measure,
                        "value": value,
                    }
                )
    return pd.DataFrame(rows)


def gap_curves(curves: pd.DataFrame, measure: str = "clean") -> pd.DataFrame:
    """Held-out minus train per method, seed and epoch, and its growth since step 0."""
    sub = curves[curves["measure"] == measure]
    piv = sub.pivot_table(
        index=["method", "seed", "epoch"], columns="inputs", values="value"
    ).reset_index()
    # An absolute gap of a clean measure (KL, not cross-entropy): a ratio to a falling training
    # distance would widen by itself (issue 14).
    piv["gap"] = piv["held-out"] - piv["train"]
    step0 = piv[piv["epoch"] == 0].set_index(["method", "seed"])["gap"]
    piv["gap_growth"] = piv["gap"] - [
        step0[(m, s)] for m, s in zip(piv["method"], piv["seed"], strict=True)
    ]
    piv.columns.name = None
    return piv


def gap_growth(curves: pd.DataFrame, method: str, measure: str = "clean") -> pd.Series:
    """Per-seed growth of the held-out minus train gap from step 0 to the last epoch."""
    g = gap_curves(curves, measure)
    g = g[g["method"] == method]
    last = g[g["epoch"] == g["epoch"].max()]
    return last.set_index("seed")["gap_growth"].sort_index()


def flatness_drop(flat: pd.DataFrame, method: str) -> pd.Series:
    """Per-seed drop of the dev metric x100 from no noise to the largest noise level."""
    sub = flat[flat["method"] == method]
    top = sub["sigma"].max()
    clean = sub[sub["sigma"] == 0].groupby("seed")["select"].mean()
    noisy = sub[sub["sigma"] == top].groupby("seed")["select"].mean()
    return (100 * (clean - noisy)).sort_index()


def stage_steps(n_train: int, cfg) -> tuple[int, int]:
    """Optimiser steps of stage 1 (last partial batch dropped) and stage 2 for ``n_train`` rows."""
    from repro.crild.train import steps_per_epoch

    return (
        cfg.ild_epochs * steps_per_epoch(n_train, cfg.ild_batch, drop_last=True),
        cfg.kd_epochs * steps_per_epoch(n_train, cfg.kd_batch, drop_last=False),
    )


def teacher_student_gap(teachers: pd.DataFrame, summary: pd.DataFrame) -> float:
    """Mean teacher score minus the best method's task-mean score (best-on-dev, x100)."""
    best = summary[(summary["selection"] == "best") & (summary["task"] != "avg")]
    top = best.groupby("method")["mean"].mean().max()
    return float(teachers["teacher_select_x100"].mean() - top)
