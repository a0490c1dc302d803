"""Result tables of the NASH pages: per-seed long tables summarised over seeds."""

from __future__ import annotations

import pandas as pd


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds: one row per method, columns ``<metric>_mean`` / ``_std``.

    Args:
        results: Long table ``method, seed, metric, value`` (:func:`repro.nash.methods.run_seed`).
    """
    g = results.groupby(["method", "metric"])["value"].agg(["mean", "std", "count"]).reset_index()
    wide = g.pivot(index="method", columns="metric", values=["mean", "std"])
    wide.columns = [f"{metric}_{stat}" for stat, metric in wide.columns]
    order = list(dict.fromkeys(results.method))  # methods in the order they were run
    return wide.reindex(order).reset_index()
