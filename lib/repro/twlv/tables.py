"""Tables for the TWLV-I pages: summaries over seeds, display pivots, the paper's rows.

Input contract: the long results of :mod:`repro.twlv.runner` / :mod:`repro.twlv.release`
(columns ``seed, encoder, task, protocol, metric, value``) and the tidy
``reported/twlv_i.csv``.
"""

from __future__ import annotations

import pandas as pd

from repro.twlv.metrics import summarise_seeds

ENCODER_LABELS = {
    "image": "image-style (per-frame, time-averaged)",
    "motion": "motion-sensitive (frame differences)",
    "videomae": "video transformer (masked modelling)",
    "temporal": "video CNN (temporal-order pretext)",
}


def summarise(results: pd.DataFrame, protocols: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean, std and seed count per encoder, task, protocol and metric (tidy, for saving)."""
    sel = results[results["protocol"].isin(protocols) & results["metric"].isin(metrics)]
    out = summarise_seeds(sel, ["encoder", "task", "protocol", "metric"])
    return out.round({"mean": 2, "std": 2})


def wide(summary: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Display pivot: one row per encoder, ``columns`` across, cells ``"mean ± std"``.

    Column labels are flattened to strings (``"appearance top1"``) so the page shows them.
    """
    cells = summary.assign(
        cell=summary["mean"].map("{:.1f}".format) + " ± " + summary["std"].map("{:.1f}".format)
    )
    table = cells.pivot_table(
        index="encoder", columns=columns, values="cell", aggfunc="first", sort=False
    )
    table.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else c for c in table.columns]
    return table.reset_index()


def appearance_motion_points(summary: pd.DataFrame, protocol: str = "linear") -> pd.DataFrame:
    """Fig. 2 analogue data: per encoder, top-1 mean/std on the appearance and motion tasks."""
    sel = summary[(summary["protocol"] == protocol) & (summary["metric"] == "top1")]
    piv = sel.pivot_table(index="encoder", columns="task", values=["mean", "std"], sort=False)
    return pd.DataFrame(
        {
            "model": [ENCODER_LABELS.get(e, e) for e in piv.index],
            "appearance": piv[("mean", "appearance")].to_numpy(),
            "motion": piv[("mean", "motion")].to_numpy(),
            "appearance_std": piv[("std", "appearance")].to_numpy(),
            "motion_std": piv[("std", "motion")].to_numpy(),
        }
    )


def reported_view(
    reported: pd.DataFrame, protocols: list[str], datasets: list[str], metric: str = "top1"
) -> pd.DataFrame:
    """The paper's numbers for ``protocols`` x ``datasets``: a row per model, flat columns."""
    sel = reported[
        reported["protocol"].isin(protocols)
        & reported["dataset"].isin(datasets)
        & (reported["metric"] == metric)
    ]
    sel = sel.assign(model=sel["model"] + " " + sel["backbone"])
    table = sel.pivot_table(
        index="model", columns=["protocol", "dataset"], values="value", sort=False
    )
    table.columns = [f"{d} {p.removeprefix('knn_')}" for p, d in table.columns]
    return table.reset_index()


def per_seed(results: pd.DataFrame, protocol: str, metric: str = "top1") -> pd.DataFrame:
    """One row per (seed, encoder, task) with the ``value`` of ``protocol`` / ``metric``."""
    sel = results[(results["protocol"] == protocol) & (results["metric"] == metric)]
    return sel[["seed", "encoder", "task", "value"]].reset_index(drop=True)


def headline_means(
    results: pd.DataFrame,
    encoders: tuple[str, ...],
    tasks: tuple[str, ...],
    protocols: tuple[str, ...],
) -> dict[str, float]:
    """Mean top-1 over seeds keyed ``<protocol>_<encoder>_<task>`` (NaN where not run).

    Every key exists whatever ran, so the page's glue references always resolve.
    """
    top1 = results[results["metric"] == "top1"]
    means = top1.groupby(["protocol", "encoder", "task"])["value"].mean()
    return {
        f"{p}_{e}_{t}": float(means.get((p, e, t), float("nan")))
        for p in protocols
        for e in encoders
        for t in tasks
    }


#: Encoders of the "Motion, learned" table: the image-style baseline and the learned ones.
LEARNED_VIEW = ("image", "videomae", "temporal")


def learned_vs_image(results: pd.DataFrame) -> pd.DataFrame:
    """Display table: linear/attentive top-1 per task and pretext accuracy, per encoder.

    Rows are :data:`LEARNED_VIEW` encoders that ran; cells ``"mean ± std"`` over seeds, an
    empty cell where an encoder has no pretext accuracy.
    """
    sel = results[results["encoder"].isin(LEARNED_VIEW)]
    probes = summarise(sel, ["linear", "attentive"], ["top1"])
    table = wide(probes, ["task", "protocol"])
    pretext = summarise(sel, ["pretext"], ["accuracy"])
    if len(pretext):
        extra = wide(pretext, ["protocol", "metric"]).rename(
            columns={"pretext accuracy": "pretext accuracy (chance 50)"}
        )
        table = table.merge(extra, on="encoder", how="left").fillna("")
    table["encoder"] = table["encoder"].map(lambda e: ENCODER_LABELS.get(e, e))
    return table
