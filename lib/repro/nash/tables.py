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


def _value(df: pd.DataFrame, key: str, name, seed: int, metric: str) -> float:
    sel = df[(df[key] == name) & (df.seed == seed) & (df.metric == metric)]
    return float(sel.value.iloc[0]) if len(sel) else float("nan")


def target_table(study: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every masked run's target beside the sparsity its final model really has.

    Rows: NASH and encoder-only (encoder target), CoFi (overall target: NASH's achieved
    overall sparsity), each sweep point and each ablation row. ``controller_end`` is the
    expected sparsity of the masks at the last pruning step (what the release's rule
    would have kept), ``gap`` is ``achieved - target``.
    """
    res, hist = study["results"], study["history"]
    last = hist.groupby(["method", "seed"]).tail(1) if len(hist) else hist
    ends = {(r.method, r.seed): r.expected_sparsity for r in last.itertuples()} if len(hist) else {}
    rows = []

    def add(run: str, label: str, seed: int, kind: str, target: float, achieved: float) -> None:
        rows.append(
            {
                "run": run,
                "seed": seed,
                "sparsity": kind,
                "target": target,
                "achieved": achieved,
                "gap": achieved - target,
                "controller_end": ends.get((label, seed), float("nan")),
            }
        )

    for (m, seed), grp in res.groupby(["method", "seed"], sort=False):
        metrics = grp.set_index("metric")["value"]
        if "encoder_target" in metrics:
            add(m, m, seed, "encoder", metrics["encoder_target"], metrics["encoder_sparsity"])
        if "overall_target" in metrics:
            add(m, m, seed, "overall", metrics["overall_target"], metrics["overall_sparsity"])
    nash_rows = res[(res.method == "nash") & (res.metric == "encoder_target")]
    nash_targets = dict(zip(nash_rows.seed, nash_rows.value, strict=True))
    sweep = study.get("sweep", pd.DataFrame())
    for (t, seed), grp in sweep.groupby(["target", "seed"]) if len(sweep) else []:
        metrics = grp.set_index("metric")["value"]
        label = f"sweep s={t:g}"
        if (label, seed) not in ends and nash_targets.get(seed) == t:
            label = "nash"  # the sweep's point at NASH's target is the nash run itself
        add(f"sweep s={t:g}", label, seed, "encoder", t, metrics["encoder_sparsity"])
    abl = study.get("ablation", pd.DataFrame())
    for (sel, seed), grp in abl.groupby(["selection", "seed"], sort=False) if len(abl) else []:
        metrics = grp.set_index("metric")["value"]
        label = "nash" if sel == "unif" else f"nash ({sel})"
        add(label, label, seed, "encoder", metrics["encoder_target"], metrics["encoder_sparsity"])
    table = pd.DataFrame(rows)
    return table.drop_duplicates(subset=["run", "seed", "sparsity"]) if len(table) else table
