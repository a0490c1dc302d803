"""GLUE metrics written out in numpy (equal to scikit-learn / scipy, see the tests).

Selection follows the release's ``compute_metrics``: CoLA selects on MCC, MRPC and QQP
on accuracy (F1 and the mean are logged), STS-B on the mean of Pearson and Spearman
("corr"), every other task on accuracy.
"""

from __future__ import annotations

import numpy as np

METRIC_KIND = {
    "cola": "mcc",
    "sst-2": "acc",
    "mrpc": "acc_f1",
    "sts-b": "corr",
    "qqp": "acc_f1",
    "mnli": "acc",
    "mnli-mm": "acc",
    "qnli": "acc",
    "rte": "acc",
    "syn-sentiment": "acc",
    "syn-paraphrase": "acc_f1",
    "syn-similarity": "corr",
}


def accuracy(pred: np.ndarray, gold: np.ndarray) -> float:
    """Fraction of equal entries; ``pred``, ``gold``: ``int[n]``."""
    return float(np.mean(np.asarray(pred) == np.asarray(gold)))


def f1_binary(pred: np.ndarray, gold: np.ndarray) -> float:
    """F1 of the positive class 1 (0.0 when there are no true positives)."""
    pred, gold = np.asarray(pred), np.asarray(gold)
    tp = float(np.sum((pred == 1) & (gold == 1)))
    fp = float(np.sum((pred == 1) & (gold != 1)))
    fn = float(np.sum((pred != 1) & (gold == 1)))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def matthews(pred: np.ndarray, gold: np.ndarray) -> float:
    """Matthews correlation for binary labels (0.0 when undefined, as scikit-learn)."""
    pred, gold = np.asarray(pred), np.asarray(gold)
    tp = float(np.sum((pred == 1) & (gold == 1)))
    tn = float(np.sum((pred != 1) & (gold != 1)))
    fp = float(np.sum((pred == 1) & (gold != 1)))
    fn = float(np.sum((pred != 1) & (gold == 1)))
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return 0.0 if den == 0 else float((tp * tn - fp * fn) / den)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of ``float[n]`` vectors (``nan`` if either is constant)."""
    x, y = np.asarray(x, float) - np.mean(x), np.asarray(y, float) - np.mean(y)
    den = np.sqrt(np.sum(x * x) * np.sum(y * y))
    return float("nan") if den == 0 else float(np.sum(x * y) / den)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean rank), 1-based."""
    x = np.asarray(x, float)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    sx = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (Pearson of average ranks)."""
    return pearson(_ranks(x), _ranks(y))


def task_metrics(task: str, pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """All logged metrics for a task plus ``"select"``, the model-selection value.

    Args:
        task: a key of :data:`METRIC_KIND`.
        pred: class ids ``int[n]`` or regression values ``float[n]``.
        gold: same shape as ``pred``.
    """
    kind = METRIC_KIND.get(task)
    if kind is None:
        raise KeyError(f"unknown task {task!r}; expected one of {sorted(METRIC_KIND)}")
    if kind == "mcc":
        out = {"mcc": matthews(pred, gold)}
        out["select"] = out["mcc"]
    elif kind == "acc":
        out = {"acc": accuracy(pred, gold)}
        out["select"] = out["acc"]
    elif kind == "acc_f1":
        out = {"acc": accuracy(pred, gold), "f1": f1_binary(pred, gold)}
        out["acc_and_f1"] = (out["acc"] + out["f1"]) / 2
        out["select"] = out["acc"]
    else:
        out = {"pearson": pearson(pred, gold), "spearman": spearman(pred, gold)}
        out["corr"] = (out["pearson"] + out["spearman"]) / 2
        out["select"] = out["corr"]
    return out


def selection_name(task: str) -> str:
    """Name of the metric used for best-on-dev selection (e.g. ``"mcc"``, ``"acc"``)."""
    return {"mcc": "mcc", "acc": "acc", "acc_f1": "acc", "corr": "corr"}[METRIC_KIND[task]]
