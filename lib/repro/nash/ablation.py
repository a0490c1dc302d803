"""The decoder-layer selection ablation: which k of the L decoder blocks NASH keeps.

Rows: the release's fixed rules (``unif``: spread over the depth, keeping block 0 and
the last block; ``low``: the first k; ``high``: the last k, losing block 0's position
bias) and its learned selection (``run_AUTO.sh``; :mod:`repro.nash.autoselect`). Every
row has the same encoder target, the same depth k and the same optimiser budget, from the
same teacher per seed, so quality differences are paired by seed. The release recommends
``unif`` (its default and the README's choice); the claims test that recommendation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from repro.core.claims import Claim, paired_differences
from repro.nash.sweep import NON_INFERIORITY_MARGIN

ABLATION_CLAIMS = [
    Claim(
        key="unif_vs_low",
        paper_item="nash.layer_selection",
        claim="Uniform decoder-layer selection generates at least as well as keeping the "
        "first k blocks.",
        quantity="quality(unif) - quality(low), same k and s, paired by seed",
        expected="positive",
        threshold=-NON_INFERIORITY_MARGIN,
        decimals=3,
    ),
    Claim(
        key="unif_vs_high",
        paper_item="nash.layer_selection",
        claim="Uniform decoder-layer selection generates at least as well as keeping the "
        "last k blocks.",
        quantity="quality(unif) - quality(high), same k and s, paired by seed",
        expected="positive",
        threshold=-NON_INFERIORITY_MARGIN,
        decimals=3,
    ),
    Claim(
        key="unif_vs_learned",
        paper_item="nash.layer_selection",
        claim="Uniform selection generates at least as well as learned selection "
        "(the release's recommendation of unif over auto).",
        quantity="quality(unif) - quality(learned), same k and s, paired by seed",
        expected="positive",
        threshold=-NON_INFERIORITY_MARGIN,
        decimals=3,
    ),
]

#: The selection each claim compares uniform against.
OTHER = {"unif_vs_low": "low", "unif_vs_high": "high", "unif_vs_learned": "learned"}


def _by_seed(ablation: pd.DataFrame, selection: str, metric: str) -> pd.Series:
    rows = ablation[(ablation.selection == selection) & (ablation.metric == metric)]
    return rows.set_index("seed")["value"].sort_index()


def ablation_values(ablation: pd.DataFrame, metric: str) -> dict[str, np.ndarray]:
    """Per-seed paired differences for every claim whose two selections were run."""
    have = set(ablation.selection)
    out = {}
    for key, other in OTHER.items():
        if {"unif", other} <= have:
            out[key] = paired_differences(
                _by_seed(ablation, "unif", metric), _by_seed(ablation, other, metric)
            )
    return out


def kept_blocks(ablation: pd.DataFrame) -> pd.DataFrame:
    """``selection, seed, kept``: the decoder blocks each selection kept (e.g. ``"0, 2"``)."""
    rows = ablation[ablation.metric.str.startswith("kept_")]
    out = (
        rows.sort_values("metric")
        .groupby(["selection", "seed"], sort=False)["value"]
        .apply(lambda v: ", ".join(str(int(b)) for b in v))
        .rename("kept")
        .reset_index()
    )
    return out


def ablation_table(ablation: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per selection: kept blocks (per seed), quality and speed, mean and std."""
    keep = ablation[ablation.metric.isin([metric, "exact_match", "speedup", "encoder_sparsity"])]
    wide = keep.pivot_table(index=["selection", "seed"], columns="metric", values="value")
    stats = wide.groupby("selection", sort=False).agg(["mean", "std"])
    stats.columns = [f"{a}_{b}" for a, b in stats.columns]
    kept = kept_blocks(ablation).groupby("selection")["kept"].apply(lambda v: " | ".join(v))
    order = list(dict.fromkeys(ablation.selection))
    return stats.join(kept).reindex(order).reset_index()
