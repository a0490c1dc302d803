"""The words every NASH page shares: its tier paragraph and caption suffixes, written once.

A page built under the ``rehearsal`` profile (stand-in data in the release formats, see
:mod:`repro.nash.standins`) says so before anything else: its numbers exercise the paper
tier's code paths and are never the paper's numbers.
"""

from __future__ import annotations

import os

from repro.core.artifacts import PROFILE_ENV

TIER_TEXT = {
    "mechanism": (
        "**Tier: mechanism.** The computation the paper describes, run on this machine with "
        "random-weight real T5 shapes or a small T5 trained from scratch on synthetic data. "
        "It tests how NASH works (which parts cost time, how the masks and the controller "
        "behave); it is not the paper's numbers, and quality on synthetic data says nothing "
        "about pretrained-model quality."
    ),
    "paper": (
        "**Tier: paper.** The release's recipe on the real datasets and pretrained T5 "
        "checkpoints listed in `data_manifests/nash.yaml`, on the device recorded with "
        "every table."
    ),
}

REHEARSAL_TEXT = (
    "**Rehearsal on stand-in data: these are not paper numbers.** This page was built "
    "under the `rehearsal` profile: tiny stand-in files in the release formats (a random "
    "tiny T5 checkpoint, a handful of made-up examples) take the place of the real data, "
    "to check that the paper-tier code runs end to end. Every number below is meaningless."
)


#: Set (to 1) by the pipeline under a rehearsal profile, whatever the profile's name.
REHEARSAL_ENV = "REPRO_REHEARSAL"


def is_rehearsal() -> bool:
    """Whether the page is being built on stand-in data (the ``rehearsal`` profile)."""
    return os.environ.get(PROFILE_ENV, "") == "rehearsal" or bool(os.environ.get(REHEARSAL_ENV))


def tier_paragraph(tier: str) -> str:
    """Markdown for the top of a page: the rehearsal warning (if any), then the tier."""
    text = TIER_TEXT[tier]
    return f"{REHEARSAL_TEXT}\n\n{text}" if is_rehearsal() else text


def tier_suffix(tier: str) -> str:
    """The sentence that ends every caption, e.g. ``"Mechanism tier; not the paper's numbers."``."""
    if is_rehearsal():
        return "Rehearsal on stand-in data; not paper numbers."
    if tier == "paper":
        return "Paper tier."
    return f"{tier.capitalize()} tier; not the paper's numbers."


def _set(values) -> str:
    """``"1"`` for one value, ``"{1, 32}"`` for several (k = 0 written as "all")."""
    words = [("all" if v == 0 else str(v)) if isinstance(v, int) else f"{v:g}" for v in values]
    return words[0] if len(words) == 1 else "{" + ", ".join(words) + "}"


def latency_grid_text(cfg) -> str:
    """One sentence describing the grid a ``LatencyConfig`` times (for the page's prose)."""
    main = (
        f"{', '.join(cfg.archs)} at k = {_set(cfg.decoder_layers)} and s = "
        f"{_set(cfg.encoder_sparsities)}, batch {_set(cfg.batch_sizes)}, "
        f"{_set(cfg.output_lens)} forced output tokens"
    )
    if cfg.compare_arch:
        main += (
            f"; plus {cfg.compare_arch} at k = {_set(cfg.compare_decoder_layers)} and s = "
            f"{_set(cfg.compare_encoder_sparsities)}, batch {_set(cfg.compare_batch_sizes)}"
        )
    return f"{main}; {cfg.repeats} interleaved timing rounds, {cfg.warmup} warm-up rounds"


#: Below this rate the timings measure per-module overhead, not matrix work: one CPU core
#: multiplies float32 matrices at tens of GFLOP/s (an assumption about the hardware, stated).
OVERHEAD_GFLOPS = 1.0


def latency_regime_text(params: int, tokens: int, median_ms: float) -> str:
    """A sentence saying which latency regime a timing measures.

    Args:
        params: Non-embedding parameters of the full model (each does ~2 FLOPs per token).
        tokens: Tokens the timed call pushes through the model (inputs plus generated
            tokens, times the batch).
        median_ms: The full model's median time for that call.
    """
    flops = 2.0 * params * tokens
    rate = flops / (median_ms / 1000.0) / 1e9
    head = (
        f"The full model does about {flops / 1e6:.1f} MFLOP per timed generate call in "
        f"{median_ms:.1f} ms ({rate:.2f} GFLOP/s)"
    )
    if rate < OVERHEAD_GFLOPS:
        return (
            f"{head}, below {OVERHEAD_GFLOPS:g} GFLOP/s: these timings measure per-module "
            "overhead (Python dispatch, small kernels), not matrix work, so speedups follow "
            "the number of modules removed rather than the parameters."
        )
    return (
        f"{head}: these timings are mostly matrix work, so speedups follow the parameters removed."
    )
