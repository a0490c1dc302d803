"""Classification metrics and seed summaries shared by the probes.

Scores are ``float[n, C]`` (logits, probabilities or kNN votes: only their order per row
matters) and labels ``int[n]``. Accuracies are returned in percent, as in the paper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Percentage of rows whose label is among the ``k`` highest scores.

    Ties are broken towards the lower class index (stable sort), so a row of equal
    scores predicts class 0.

    Args:
        scores: float[n, C].
        labels: int[n] in ``[0, C)``.
        k: How many top classes count as a hit; clipped to C.

    Returns:
        Accuracy in percent, in [0, 100].
    """
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if scores.ndim != 2 or scores.shape[0] != labels.shape[0]:
        raise ValueError(f"scores {scores.shape} and labels {labels.shape} do not match")
    if scores.shape[0] == 0:
        raise ValueError("topk_accuracy needs at least one row")
    k = min(k, scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(100.0 * np.mean(np.any(top == labels[:, None], axis=1)))


def top1_top5(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """``{"top1": ..., "top5": ...}`` in percent for ``scores`` float[n, C]."""
    return {"top1": topk_accuracy(scores, labels, 1), "top5": topk_accuracy(scores, labels, 5)}


def mean_over_groups(scores: np.ndarray, group: np.ndarray, num_groups: int) -> np.ndarray:
    """Mean of the rows of ``scores`` float[m, C] per ``group`` int[m]: float[num_groups, C]."""
    sums = np.zeros((num_groups, scores.shape[1]), dtype=np.float64)
    np.add.at(sums, group, scores)
    counts = np.bincount(group, minlength=num_groups)[:, None]
    return sums / np.maximum(counts, 1)


def summarise_seeds(df: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """Mean, sample standard deviation and count of ``value`` over seeds within ``by`` groups.

    Args:
        df: Long table with the ``by`` columns, a ``seed`` column and ``value``.
        by: Grouping columns (everything that is not the seed).
        value: The numeric column to summarise.

    Returns:
        One row per group with columns ``by + [mean, std, n_seeds]``; ``std`` is 0 for one seed.
    """
    grouped = df.groupby(by, sort=False)[value]
    out = grouped.agg(mean="mean", std="std", n_seeds="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out
