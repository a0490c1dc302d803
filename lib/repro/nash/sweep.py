"""The paper's second claim: low encoder sparsity keeps (or improves) generation quality.

The abstract: "low sparsity in the pruned encoder network enhances generation quality".
The experiment sweeps NASH's encoder target sparsity at a fixed decoder depth k, every
run of a seed starting from that seed's teacher, so quality is compared by paired
differences over seeds against the unpruned encoder (s = 0, the same shortened
decoder and the same optimiser budget). "Keeps or improves" is tested as
non-inferiority: the interval of quality(s_low) - quality(0) must lie above
-:data:`NON_INFERIORITY_MARGIN`. The positive control checks that the sweep can see a
loss at all: the highest sparsity must cost quality.

The sweep runs inside the study of ``nash/pruning_synthetic`` (:mod:`repro.nash.study`),
from the same teachers as the method comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from repro.core.claims import Claim, paired_differences
from repro.nash.methods import ExperimentConfig

#: Quality (ROUGE-L, 0-1) that "keeps" may lose: the reading precision of a ROUGE table.
NON_INFERIORITY_MARGIN = 0.01
QUALITY = "rougeL"

SWEEP_CLAIMS = [
    Claim(
        key="low_sparsity_keeps_quality",
        paper_item="nash.encoder_sparsity_quality",
        claim="Low encoder sparsity keeps or improves generation quality.",
        quantity="quality(NASH, lowest s > 0) - quality(NASH, s = 0), same k, paired by seed",
        expected="positive",
        threshold=-NON_INFERIORITY_MARGIN,
        decimals=3,
    ),
    Claim(
        key="sweep_control",
        paper_item="nash.encoder_sparsity_quality",
        claim="Positive control: the highest encoder sparsity costs quality.",
        quantity="quality(NASH, s = 0) - quality(NASH, highest s), paired by seed",
        expected="positive",
        control=True,
        decimals=3,
    ),
]


def run_sweep(
    cfg: ExperimentConfig, sparsities: Sequence[float], seeds: Sequence[int]
) -> pd.DataFrame:
    """NASH at each encoder target in ``sparsities`` (k = ``cfg.decoder_layers``), every seed.

    Returns:
        Long table ``target, seed, metric, value``: ROUGE, exact match, achieved encoder
        sparsity (beside its target) and parameters; ``sparsities`` must hold 0.
    """
    from repro.nash.study import run_study

    check_sparsities(sparsities)
    return run_study(cfg, [], seeds, sweep=sparsities)["sweep"]


def check_sparsities(sparsities: Sequence[float]) -> None:
    """Raise ``ValueError`` unless ``sparsities`` hold 0.0 (the reference) and some s > 0."""
    if 0.0 not in [float(s) for s in sparsities] or len(sparsities) < 2:
        raise ValueError(f"sparsities={list(sparsities)} must hold 0.0 and at least one s > 0")


def _quality(results: pd.DataFrame, target: float, metric: str) -> pd.Series:
    sel = results[(results.metric == metric) & np.isclose(results.target, target)]
    return sel.set_index("seed")["value"].sort_index()


def sweep_values(results: pd.DataFrame, metric: str = QUALITY) -> dict[str, np.ndarray]:
    """Per-seed estimates of :data:`SWEEP_CLAIMS` from :func:`run_sweep`'s table."""
    targets = sorted(results.target.unique())
    positive = [t for t in targets if t > 0]
    ref = _quality(results, 0.0, metric)
    low, high = _quality(results, positive[0], metric), _quality(results, positive[-1], metric)
    return {
        "low_sparsity_keeps_quality": paired_differences(low.to_numpy(), ref.to_numpy()),
        "sweep_control": paired_differences(ref.to_numpy(), high.to_numpy()),
    }


def sweep_summary(results: pd.DataFrame, metric: str = QUALITY) -> pd.DataFrame:
    """Mean and standard deviation over seeds per target: quality and achieved sparsity."""
    keep = results[results.metric.isin([metric, "encoder_sparsity", "params"])]
    wide = keep.pivot_table(index=["target", "seed"], columns="metric", values="value")
    out = wide.groupby("target").agg(["mean", "std"])
    out.columns = [f"{a}_{b}" for a, b in out.columns]
    return out.reset_index()
