"""The release-metric emulation of ``nash/latency_anatomy``: from ``Config`` to the page's words.

:mod:`repro.nash.release_latency` measures; this module derives its setup from a
``LatencyConfig``, summarises the rounds into a table, and says in words which regime was
measured (how fast the decoder's small per-step products run against the encoder's large
ones), so the page states it from the measurement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from repro.nash.claims import per_round_ratio
from repro.nash.release_latency import ReleaseSetup, release_rounds


def release_setup(cfg) -> ReleaseSetup:
    """The :class:`ReleaseSetup` of a ``LatencyConfig``."""
    return ReleaseSetup(
        batch=cfg.release_batch,
        examples=cfg.release_examples,
        input_len=cfg.input_len,
        max_length=cfg.release_max_length,
        min_output=cfg.release_min_output,
        num_beams=1,
    )


def run_release_latency(cfg) -> pd.DataFrame:
    """The release-metric emulation of ``nash/latency_anatomy`` on its NASH configuration."""
    from repro.nash.runner import resolve_device, set_threads

    set_threads(cfg.threads)
    return release_rounds(
        cfg.nash_arch,
        cfg.nash_decoder_layers,
        cfg.nash_encoder_sparsity,
        release_setup(cfg),
        warmup=cfg.warmup,
        repeats=cfg.release_repeats,
        seed=cfg.seed,
        device=resolve_device(cfg.device),
    )


def release_summary(rel: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: median times by both metrics and median paired speedups."""
    rows = []
    for role, grp in rel.groupby("role", sort=False):
        e2e, block = float(grp.e2e_ms.median()), float(grp.block_ms.median())
        rows.append(
            {"role": role, "config": grp.config.iloc[0], "e2e_ms": e2e, "block_ms": block}
            | {"block_share_of_e2e": float((grp.block_ms / grp.e2e_ms).median())}
            | {"speedup_e2e": float(np.median(per_round_ratio(rel, role, "e2e_ms")))}
            | {"speedup_release_metric": float(np.median(per_round_ratio(rel, role, "block_ms")))}
            | {"rounds": len(grp)}
        )
    return pd.DataFrame(rows)


def achieved_rates(rel: pd.DataFrame) -> dict[str, float]:
    """GFLOP/s of the full model's encoder blocks and decoder blocks (medians over rounds).

    Matrix-multiply FLOPs are counted as 2 x weights x tokens; attention scores are left out.
    """
    full = rel[rel.role == "full"]
    n, tokens = full.setup_examples, full.setup_examples * full.setup_input_len
    enc_flops = 2.0 * full.encoder_weights * tokens
    dec_flops = 2.0 * (
        full.decoder_step_weights * full.decoder_tokens
        + full.cross_kv_weights * tokens * full.setup_num_beams
    )
    enc_rate = enc_flops / (full.encoder_block_ms * n * 1e6)  # ms * 1e6 -> GFLOP/s
    dec_rate = dec_flops / (full.decoder_block_ms * n * 1e6)
    return {"encoder_gflops": float(enc_rate.median()), "decoder_gflops": float(dec_rate.median())}


#: Below this ratio of decoder to encoder throughput, decoding is called overhead-bound.
OVERHEAD_RATIO = 0.3


def regime_text(rel: pd.DataFrame, label: str) -> str:
    """Which regime the emulation measured (width, device, overhead vs matrix work), in words."""
    r, row = achieved_rates(rel), rel.iloc[0]
    ratio = r["decoder_gflops"] / r["encoder_gflops"]
    if ratio < OVERHEAD_RATIO:
        kind = (
            "bound by per-module overhead (dispatch, Python, small matrix products) rather "
            "than by matrix work, so each decoder block removed saves a roughly fixed cost per "
            "decoding step"
        )
    else:
        kind = "dominated by matrix work, so time follows the weights each step multiplies"
    return (
        f"Regime measured: {row.arch} (d_model = {row.d_model}) on {label}. The full model's "
        f"encoder blocks multiply {row.setup_batch * row.setup_input_len} tokens per call at about "
        f"{r['encoder_gflops']:.1f} GFLOP/s; its decoder blocks, which see {row.setup_batch} "
        f"sequence(s) per decoding step, reach about {r['decoder_gflops']:.1f} GFLOP/s "
        f"({ratio:.0%} of the encoder's rate). Decoding is therefore {kind}. FLOPs are counted as "
        f"2 x weights x tokens, attention scores left out."
    )


def setup_text(rel: pd.DataFrame) -> str:
    """The emulated protocol in one sentence, from the recorded setup."""
    row = rel.iloc[0]
    per_row = row.decoder_tokens / (row.setup_examples * row.setup_num_beams)
    return (
        f"{row.arch}, {row.setup_examples} example(s) per round in batches of {row.setup_batch}, "
        f"{row.setup_input_len} input tokens, max_length {row.setup_max_length}, outputs ending "
        f"at EOS after {per_row:.1f} new tokens per sequence on average (lengths drawn from "
        f"{row.setup_min_output}-{row.setup_max_length - 1}, the same for every configuration; "
        f"a batch decodes until its longest output ends), {rel['round'].nunique()} interleaved "
        f"timing rounds"
    )


def bracket_text(e2e: float, block: float, low: float, high: float) -> str:
    """Where the range [low, high] lies against the speedups by the two metrics, in words."""
    lo, hi = sorted((e2e, block))
    if high < lo:
        where = "lies below both"
    elif low > hi:
        where = "lies above both"
    elif low >= lo and high <= hi:
        where = "lies between them"
    else:
        where = "overlaps the span between them"
    effect = "raises" if block > e2e else "lowers"
    return (
        f"NASH's speedup is {e2e:.2f}x by synchronised end-to-end time and {block:.2f}x by the "
        f"release's metric (means over timing rounds): timing only the blocks {effect} it by "
        f"{abs(block / e2e - 1):.0%}, and the README's {low:g}-{high:g}x {where}"
    )
