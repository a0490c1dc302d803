"""Pre-registered CR-ILD claims and their per-seed estimates.

Each notebook writes these claims down before it runs (they are module constants), then hands
:func:`verdict_rows` the per-seed values computed from its runs. Method comparisons are paired
by student seed (same seed = same student initialisation and batch order), on the dev
selection metric x100 at the best dev evaluation (the paper's protocol), averaged over tasks.

No positive control is registered for these pages: their CPU budgets have not been shown able
to detect an effect of the size the paper reports, so an *inconclusive* verdict says nothing
about whether the effect exists (see :func:`summary_sentence`). The ILD-overfitting probe
(issue 14) is the experiment designed with a positive control.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from repro.core.claims import Claim, evaluate, paired_differences
from repro.crild.tables import flatness_drop, seed_values

MAIN_TABLE_CLAIMS = [
    Claim(
        key="crild_beats_kd",
        paper_item="crild.main_glue",
        claim="CR-ILD followed by KD beats plain KD (main GLUE table).",
        quantity="CR-ILD minus KD, dev metric x100 (task mean, best-on-dev), paired by seed",
    ),
    Claim(
        key="lild_beats_uild",
        paper_item="crild.which_layer",
        claim="Last-layer ILD (L-ILD) is at least as good as uniform-map ILD (U-ILD, TinyBERT).",
        quantity="L-ILD minus U-ILD, dev metric x100 (task mean, best-on-dev), paired by seed",
    ),
    Claim(
        key="released_mixup_beats_target",
        paper_item="crild.supplementary_task",
        claim="As released (Q/K/V relations), ILD on mixup inputs beats ILD on the target inputs.",
        quantity=(
            "CR-ILD-released (Q/K/V on mixup) minus L-ILD-QKV (Q/K/V on targets), dev metric "
            "x100 (task mean, best-on-dev), paired by seed"
        ),
    ),
    Claim(
        key="lild_flatter",
        paper_item="crild.flatness",
        claim="L-ILD ends in a flatter minimum than U-ILD (loses less under weight noise).",
        quantity=(
            "U-ILD minus L-ILD drop of dev metric x100 at the largest weight noise (task mean), "
            "paired by seed"
        ),
    ),
]

SETTINGS_CLAIMS = [
    Claim(
        key="few_crild_beats_kd",
        paper_item="crild.few_sample",
        claim="In the few-sample setting CR-ILD beats plain KD.",
        quantity="CR-ILD minus KD, few-sample, dev metric x100 (best-on-dev), paired by seed",
    ),
    Claim(
        key="noise_crild_beats_kd",
        paper_item="crild.label_noise",
        claim="With 30 % label noise CR-ILD beats plain KD.",
        quantity="CR-ILD minus KD, label noise, dev metric x100 (best-on-dev), paired by seed",
    ),
]


def _paired(results: pd.DataFrame, a: str, b: str, setting: str | None = None) -> list[float]:
    """Per-seed ``a - b`` on seeds both methods ran; empty if either is missing."""
    va, vb = (seed_values(results, m, setting=setting) for m in (a, b))
    seeds = sorted(set(va.index) & set(vb.index))
    if not seeds:
        return []
    return list(paired_differences(va.loc[seeds].values, vb.loc[seeds].values))


def main_table_values(
    results: pd.DataFrame, flat: pd.DataFrame | None = None
) -> dict[str, list[float]]:
    """Per-seed estimates of :data:`MAIN_TABLE_CLAIMS` from the main run table.

    Args:
        results: long run table (:func:`repro.crild.runner.result_rows`).
        flat: weight-noise table (``task, method, seed, sigma, draw, select``) or ``None``.
    """
    out = {
        "crild_beats_kd": _paired(results, "CR-ILD", "KD"),
        "lild_beats_uild": _paired(results, "L-ILD", "TinyBERT"),
        "released_mixup_beats_target": _paired(results, "CR-ILD-released", "L-ILD-QKV"),
        "lild_flatter": [],
    }
    flat_methods = set(flat["method"]) if flat is not None and len(flat) else set()
    if {"TinyBERT", "L-ILD"} <= flat_methods:
        u, lo = flatness_drop(flat, "TinyBERT"), flatness_drop(flat, "L-ILD")
        seeds = sorted(set(u.index) & set(lo.index))
        out["lild_flatter"] = list(paired_differences(u.loc[seeds].values, lo.loc[seeds].values))
    return out


def settings_values(results: pd.DataFrame) -> dict[str, list[float]]:
    """Per-seed estimates of :data:`SETTINGS_CLAIMS` from the settings run table."""
    return {
        "few_crild_beats_kd": _paired(results, "CR-ILD", "KD", setting="few-sample"),
        "noise_crild_beats_kd": _paired(results, "CR-ILD", "KD", setting="label-noise"),
    }


def save_claims(
    run: Any,
    claims: Sequence[Claim],
    values: Mapping[str, Sequence[float]],
    tier: str,
    summary_key: str,
) -> list[dict[str, object]]:
    """Verdicts of the claims that ran (``run.save_verdicts``), glued prose for all of them.

    A claim whose methods or settings were not part of this profile gets no row in
    ``verdicts.csv``; its ``<key>_sentence`` says so instead of printing an empty estimate.
    ``summary_key`` receives :func:`summary_sentence` over all claims.
    """
    from repro.core.page import glue

    rows = verdict_rows(claims, values)
    ran = [r for r in rows if int(r["n_seeds"]) > 0]
    run.save_verdicts(ran, tier=tier)
    for r in rows:
        if int(r["n_seeds"]) == 0:
            glue(f"{r['key']}_verdict", "**not run**")
            glue(f"{r['key']}_sentence", f"**not run** in this profile ({r['quantity']})")
            glue(f"{r['key']}_estimate", float("nan"))
    glue(summary_key, summary_sentence(rows))
    return rows


def verdict_rows(
    claims: Sequence[Claim], values: Mapping[str, Sequence[float]]
) -> list[dict[str, object]]:
    """One verdict row per claim (a claim whose methods did not run gets no values)."""
    return [evaluate(c, list(values.get(c.key, []))) for c in claims]


def summary_sentence(rows: Sequence[Mapping[str, object]]) -> str:
    """What the verdicts, taken together, allow the page to say (Markdown, for glue)."""
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("reproduced", "contradicted")}
    inconclusive = [r for r in rows if r["verdict"] == "inconclusive"]
    missing = [r["key"] for r in rows if int(r["n_seeds"]) == 0]
    few = [r["key"] for r in rows if 0 < int(r["n_seeds"]) < 2]
    parts = [
        f"Of {len(rows)} pre-registered claims, {counts['reproduced']} came out **reproduced**, "
        f"{counts['contradicted']} **contradicted** and {len(inconclusive)} **inconclusive**."
    ]
    if missing:
        parts.append(f"Not run in this profile (methods or settings absent): {', '.join(missing)}.")
    if few:
        parts.append("With one seed there is no interval, so no verdict can be reached.")
    if counts["contradicted"]:
        parts.append(
            "A contradicted verdict is a result about these runs at this page's tier and size; "
            "it does not carry over to the paper's GLUE setting by itself."
        )
    if inconclusive:
        parts.append(
            "An inconclusive verdict is not evidence against the paper: this page has no positive "
            "control, so we do not know whether runs this small could detect an effect of the "
            "paper's size."
        )
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Component ablation (issue 14): each claim compares one step of repro.crild.ablation.STEPS
# with its baseline, paired by student seed, on the main table's runs.

ABLATION_CLAIMS = [
    Claim(
        key="abl_lild_beats_kd",
        paper_item="crild.ablation",
        claim="Last-layer ILD before KD beats KD alone.",
        quantity="L-ILD minus KD, dev metric x100 (task mean, best-on-dev), paired by seed",
    ),
    Claim(
        key="abl_mixup_beats_target",
        paper_item="crild.supplementary_task",
        claim="Last-layer ILD on mixup inputs (a supplementary task) beats it on target inputs.",
        quantity=(
            "L-ILD-mixup minus L-ILD, dev metric x100 (task mean, best-on-dev), paired by seed"
        ),
    ),
    Claim(
        key="abl_consistency_helps",
        paper_item="crild.ablation",
        claim="Adding the consistency term to last-layer ILD on mixup inputs helps (CR-ILD).",
        quantity=(
            "CR-ILD minus L-ILD-mixup, dev metric x100 (task mean, best-on-dev), paired by seed"
        ),
    ),
    Claim(
        key="abl_other_beats_target",
        paper_item="crild.supplementary_task",
        claim="Last-layer ILD on another corpus's inputs beats it on the target task's inputs.",
        quantity=(
            "L-ILD-other minus L-ILD, dev metric x100 (task mean, best-on-dev), paired by seed"
        ),
    ),
]


def ablation_values(results: pd.DataFrame) -> dict[str, list[float]]:
    """Per-seed estimates of :data:`ABLATION_CLAIMS` from the main run table."""
    return {
        "abl_lild_beats_kd": _paired(results, "L-ILD", "KD"),
        "abl_mixup_beats_target": _paired(results, "L-ILD-mixup", "L-ILD"),
        "abl_consistency_helps": _paired(results, "CR-ILD", "L-ILD-mixup"),
        "abl_other_beats_target": _paired(results, "L-ILD-other", "L-ILD"),
    }


# cr_ild/ild_probe (issue 14): written down before the probe runs. "Gap growth" is the clean
# distance (attention KL + hidden MSE, repro.crild.probe_gap) on held-out minus training inputs
# at the last stage-1 step, minus the same gap at step 0; dev scores are accuracy x100 on the
# 1,000-example dev set after the fixed stage 2 from a stage-1 checkpoint ("mid" is the middle
# checkpoint, "end" the last). Every estimate is one value per seed, paired by seed.

PROBE_CLAIMS = [
    Claim(
        key="probe_control_gap",
        paper_item="crild.overfitting",
        claim="Positive control: with 8 training inputs, ILD fits them and the held-out gap grows.",
        quantity="U-ILD gap growth with 8 training inputs (clean distance, held-out minus train)",
        control=True,
        decimals=3,
    ),
    Claim(
        key="probe_control_downstream",
        paper_item="crild.overfitting",
        claim="Positive control: with 512 training inputs, stage-1 ILD raises the dev score.",
        quantity="512 inputs, U-ILD: dev accuracy x100 at the end minus at step 0",
        control=True,
    ),
    Claim(
        key="probe_few_uild_gap",
        paper_item="crild.overfitting",
        claim="With 32 training inputs, U-ILD's held-out gap grows during stage 1.",
        quantity="U-ILD gap growth with 32 training inputs (clean distance)",
        decimals=3,
    ),
    Claim(
        key="probe_few_lild_gap",
        paper_item="crild.overfitting",
        claim="With 32 training inputs, L-ILD's held-out gap grows during stage 1.",
        quantity="L-ILD gap growth with 32 training inputs (clean distance, last layer)",
        decimals=3,
    ),
    Claim(
        key="probe_lower_layers",
        paper_item="crild.which_layer",
        claim="U-ILD overfits in the lower layers: their gap grows more than the last layer's.",
        quantity=(
            "32 inputs, U-ILD: attention-KL gap growth of the first student layer minus the "
            "last student layer's"
        ),
        decimals=3,
    ),
    Claim(
        key="probe_mixup_shrinks_gap",
        paper_item="crild.supplementary_task",
        claim="ILD on mixup inputs (a supplementary task) shrinks the held-out gap.",
        quantity="32 inputs: U-ILD gap growth minus U-ILD-on-mixup gap growth",
        decimals=3,
    ),
    Claim(
        key="probe_few_rise",
        paper_item="crild.overfitting",
        claim="With 32 training inputs, some ILD helps: the dev score rises by mid stage 1.",
        quantity="32 inputs, U-ILD: dev accuracy x100 at mid minus at step 0",
    ),
    Claim(
        key="probe_few_fall",
        paper_item="crild.overfitting",
        claim="With 32 training inputs, more ILD hurts: the dev score falls after mid stage 1.",
        quantity="32 inputs, U-ILD: dev accuracy x100 at the end minus at mid",
        expected="negative",
    ),
    Claim(
        key="probe_uild_falls_more",
        paper_item="crild.which_layer",
        claim="The late fall is larger for U-ILD than for last-layer ILD.",
        quantity="32 inputs: (end minus mid) dev accuracy x100 of L-ILD minus that of U-ILD",
    ),
    Claim(
        key="probe_many_no_fall",
        paper_item="crild.overfitting",
        claim="With 512 training inputs, more ILD does not hurt (no fall beyond 1 point).",
        quantity="512 inputs, U-ILD: dev accuracy x100 at the end minus at mid (margin -1)",
        threshold=-1.0,
    ),
]
