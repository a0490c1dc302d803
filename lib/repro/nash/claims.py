"""NASH's claims, written down before the notebooks run, and their per-seed estimates.

Latency claims are paired by timing round: configurations are timed round-robin
(:func:`repro.core.timing.time_interleaved`), so round r of the full model and round r of
a pruned model ran back to back and their ratio is one paired speedup. Quality claims
are paired by seed: every method of a seed starts from the same teacher.

The authors' headline (README of the release): "NASH achieves a speedup of 2.5-4.2 times
while preserving 95% of the output quality" on T5-base; the abstract: "the number of
decoder layers is the dominant factor of inference speed".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from repro.core.claims import Claim, paired_differences

README_SPEEDUP = (2.5, 4.2)  # the authors' speedup range for T5-base (README)
README_QUALITY = 0.95  # "preserving 95% of the output quality"

LATENCY_CLAIMS = [
    Claim(
        key="decoder_dominates",
        paper_item="nash.latency_anatomy",
        claim="Decoder depth, not encoder width, dominates generation latency.",
        quantity="speedup(shorter decoder) - speedup(narrower encoder), comparable "
        "parameters removed, paired by timing round",
        expected="positive",
        replicate="timing round",
    ),
    Claim(
        key="readme_speedup",
        paper_item="nash.main_generation",
        claim="NASH (T5-base, k = 3, s = 0.3) is 2.5-4.2x faster than the full model.",
        quantity="speedup of the NASH configuration (x), per timing round",
        expected="positive",
        threshold=README_SPEEDUP[0],
        replicate="timing round",
    ),
    Claim(
        key="latency_control",
        paper_item="nash.latency_anatomy",
        claim="Positive control: removing decoder blocks makes generate() faster.",
        quantity="speedup of the shallowest decoder (x), per timing round",
        expected="positive",
        threshold=1.0,
        control=True,
        replicate="timing round",
    ),
    # The release's metric, emulated (repro.nash.release_latency): the same generate calls
    # timed end to end with synchronisation and as summed block times without it.
    Claim(
        key="release_e2e_speedup",
        paper_item="nash.main_generation",
        claim="NASH (T5-base, k = 3, s = 0.3) is at least 2.5x faster than the full model by "
        "synchronised end-to-end time, generation stopping at EOS.",
        quantity="speedup of the NASH configuration by end-to-end time (x), per timing round",
        threshold=README_SPEEDUP[0],
        replicate="timing round",
    ),
    Claim(
        key="release_readme_speedup",
        paper_item="nash.main_generation",
        claim="Under the release's metric (summed block times, no output layer, EOS stopping) "
        "NASH (T5-base, k = 3, s = 0.3) is at least 2.5x faster than the full model.",
        quantity="speedup of the NASH configuration by the release's metric (x), per timing round",
        threshold=README_SPEEDUP[0],
        replicate="timing round",
    ),
    Claim(
        key="release_readme_upper",
        paper_item="nash.main_generation",
        claim="Under the release's metric NASH (T5-base, k = 3, s = 0.3) is at most 4.2x faster "
        "than the full model (the top of the README's range).",
        quantity="speedup of the NASH configuration by the release's metric (x), per timing round",
        expected="negative",
        threshold=README_SPEEDUP[1],
        replicate="timing round",
    ),
    Claim(
        key="release_decoder_share",
        paper_item="nash.latency_anatomy",
        claim="Under the release's metric, decoder depth dominates: the shortened decoder alone "
        "saves more than half of the block time NASH saves.",
        quantity="block time saved by the shortened decoder / block time saved by NASH, "
        "per timing round",
        threshold=0.5,
        replicate="timing round",
    ),
]

ACCOUNTING_CLAIMS = [
    Claim(
        key="accounting_exact",
        paper_item="nash.accounting",
        claim="The release's parameter arithmetic (4·d·d_kv per head, 2·d per FFN dimension) "
        "counts exactly the parameters of the physically pruned models.",
        quantity="rows whose arithmetic differs from the instantiated model's count",
        expected="negative",
        threshold=0.5,
        deterministic=True,
        decimals=0,
    ),
]

PRUNING_CLAIMS = [
    Claim(
        key="nash_keeps_quality",
        paper_item="nash.main_generation",
        claim="NASH keeps at least 95 % of the full model's output quality.",
        quantity="quality(NASH) / quality(full), per seed",
        threshold=README_QUALITY,
    ),
    Claim(
        key="nash_vs_cofi_quality",
        paper_item="nash.main_generation",
        claim="At equal size NASH generates at least as well as CoFi.",
        quantity="quality(NASH) - quality(CoFi), paired by seed",
        decimals=3,
    ),
    Claim(
        key="nash_vs_cofi_speed",
        paper_item="nash.main_generation",
        claim="At equal size NASH is faster than CoFi.",
        quantity="speedup(NASH) - speedup(CoFi) (x), paired by seed",
    ),
    Claim(
        key="nash_vs_decoder_only",
        paper_item="nash.main_generation",
        claim="Narrowing the encoder on top of the shallow decoder costs no quality.",
        quantity="quality(NASH) - quality(decoder-only), paired by seed",
        decimals=3,
    ),
    Claim(
        key="pruning_control",
        paper_item="nash.main_generation",
        claim="Positive control: the shortened decoder makes the decoder-only model faster.",
        quantity="speedup(decoder-only) (x), per seed",
        threshold=1.0,
        control=True,
    ),
]

#: Methods each pruning claim needs.
PRUNING_NEEDS = {
    "nash_keeps_quality": ("nash", "full"),
    "nash_vs_cofi_quality": ("nash", "cofi"),
    "nash_vs_cofi_speed": ("nash", "cofi"),
    "nash_vs_decoder_only": ("nash", "decoder_only"),
    "pruning_control": ("decoder_only",),
}


def _own(lat: pd.DataFrame) -> pd.DataFrame:
    return lat[lat.encoder_sparsity == lat.sparsity_group]


def round_speedups(lat: pd.DataFrame, arch: str, k: str, s: float) -> np.ndarray:
    """Paired per-round speedups of configuration (k, s) of ``arch`` over every setup.

    Args:
        lat: Latency records (:func:`repro.nash.runner.run_latency`), with ``samples_ms``.
        k: ``decoder_layers`` as recorded (``"all"`` or ``"3"``); s: encoder sparsity.

    Returns:
        ``float[setups * repeats]``: reference time / configuration time, round by round,
        the reference being the full model timed in the same interleaved group.
    """
    keys = ["batch", "output_len", "num_beams"]
    rows = lat[(lat.arch == arch) & (lat.sparsity_group == s)]
    out: list[float] = []
    for _, grp in rows.groupby(keys):
        ref = grp[(grp.decoder_layers == "all") & (grp.encoder_sparsity == 0.0)]
        cfg = grp[(grp.decoder_layers == k) & (grp.encoder_sparsity == s)]
        if len(ref) and len(cfg):
            a = np.asarray(ref.iloc[0].samples_ms) / np.asarray(cfg.iloc[0].samples_ms)
            out += a.tolist()
    return np.asarray(out)


def matched_pair(lat: pd.DataFrame, arch: str) -> dict[str, object] | None:
    """The encoder-only and decoder-only configurations of ``arch`` with comparable removal.

    The encoder arm is the full decoder at the grid's largest encoder sparsity; the decoder
    arm is the unnarrowed encoder at the k whose parameter removal is closest to it.
    """
    own = _own(lat[lat.arch == arch])
    full = own[(own.decoder_layers == "all") & (own.encoder_sparsity == 0.0)]
    enc = own[(own.decoder_layers == "all") & (own.encoder_sparsity > 0)]
    dec = own[(own.decoder_layers != "all") & (own.encoder_sparsity == 0.0)]
    if full.empty or enc.empty or dec.empty:
        return None
    total = int(full.params.iloc[0])
    s = float(enc.encoder_sparsity.max())
    enc_removed = total - int(enc[enc.encoder_sparsity == s].params.iloc[0])
    removed = {k: total - int(p) for k, p in dec.groupby("decoder_layers").params.first().items()}
    k = min(removed, key=lambda key: abs(removed[key] - enc_removed))
    return {"arch": arch, "k": k, "s": s, "dec_removed": removed[k], "enc_removed": enc_removed}


def latency_values(lat: pd.DataFrame, nash: tuple[str, int, float]) -> dict[str, np.ndarray]:
    """Per-round values of each latency claim (empty where the grid lacks the configuration).

    Args:
        lat: Latency records with ``samples_ms``.
        nash: ``(arch, k, s)`` of the NASH configuration tested against the README range.
    """
    arch0 = lat.arch.iloc[0]
    pair = matched_pair(lat, arch0)
    values = {c.key: np.asarray([]) for c in LATENCY_CLAIMS}
    if pair is not None:
        dec = round_speedups(lat, arch0, str(pair["k"]), 0.0)
        enc = round_speedups(lat, arch0, "all", float(pair["s"]))
        values["decoder_dominates"] = paired_differences(dec, enc)
    arch, k, s = nash
    values["readme_speedup"] = round_speedups(lat, arch, "all" if k == 0 else str(k), s)
    shallow = _own(lat[(lat.arch == arch0) & (lat.decoder_layers != "all")])
    if len(shallow):
        k_min = str(min(int(v) for v in shallow.decoder_layers))
        values["latency_control"] = round_speedups(lat, arch0, k_min, 0.0)
    return values


def per_round_ratio(rel: pd.DataFrame, role: str, metric: str) -> np.ndarray:
    """``float[rounds]``: the full model's ``metric`` / ``role``'s, round by round (paired)."""
    ref = rel[rel.role == "full"].set_index("round")[metric]
    other = rel[rel.role == role].set_index("round")[metric]
    both = pd.concat([ref, other], axis=1, join="inner").sort_index()
    return (both.iloc[:, 0] / both.iloc[:, 1]).to_numpy(dtype=float)


def release_values(rel: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-round values of the release-metric claims.

    Args:
        rel: Rows of :func:`repro.nash.release_latency.release_rounds` (roles ``full``,
            ``decoder_only``, ``nash``; one row per role and timing round).
    """
    block = per_round_ratio(rel, "nash", "block_ms")
    times = {
        r: rel[rel.role == r].set_index("round").block_ms.sort_index()
        for r in ("full", "decoder_only", "nash")
    }
    saved_dec = times["full"] - times["decoder_only"]
    saved_nash = times["full"] - times["nash"]
    return {
        "release_e2e_speedup": per_round_ratio(rel, "nash", "e2e_ms"),
        "release_readme_speedup": block,
        "release_readme_upper": block,
        "release_decoder_share": (saved_dec / saved_nash).to_numpy(dtype=float),
    }


def range_position(row: dict[str, object] | pd.Series, low: float, high: float) -> str:
    """Where an estimate's interval lies against the range [low, high], in words."""
    est, lo, hi = (float(row[k]) for k in ("estimate", "ci_low", "ci_high"))
    if math.isnan(est):
        return "not measured (the grid does not time the NASH configuration)"
    if math.isnan(lo):
        lo = hi = est
        suffix = " (one round only, no interval)"
    else:
        suffix = ""
    if hi < low:
        where = "below"
    elif lo > high:
        where = "above"
    elif lo >= low and hi <= high:
        where = "inside"
    else:
        where = "overlapping the edge of"
    return f"{where} the authors' {low:g}-{high:g}x range{suffix}"


def quality_metric(results: pd.DataFrame) -> str:
    """The quality column of a results table: ROUGE-L where present, else the first score."""
    metrics = list(dict.fromkeys(results.metric))
    for m in ("rougeL", "accuracy", "exact_match"):
        if m in metrics:
            return m
    return metrics[0]


def _by_seed(results: pd.DataFrame, method: str, metric: str) -> pd.Series:
    rows = results[(results.method == method) & (results.metric == metric)]
    return rows.set_index("seed")["value"].sort_index()


def pruning_values(results: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-seed values of each pruning claim whose methods were run (paired by seed)."""
    q = quality_metric(results)
    have = set(results.method)
    out: dict[str, np.ndarray] = {}
    for key, needed in PRUNING_NEEDS.items():
        if not set(needed) <= have:
            continue
        if key == "nash_keeps_quality":
            a, b = _by_seed(results, "nash", q), _by_seed(results, "full", q)
            out[key] = (a / b.where(b > 0)).to_numpy()
        elif key == "pruning_control":
            out[key] = _by_seed(results, "decoder_only", "speedup").to_numpy()
        else:
            metric = "speedup" if key.endswith("speed") else q
            other = needed[1]
            out[key] = paired_differences(
                _by_seed(results, "nash", metric), _by_seed(results, other, metric)
            )
    return out


def accounting_values(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Mismatched rows of the accounting table (NaN when models were not instantiated)."""
    if "match" not in table:
        return {"accounting_exact": np.array([math.nan])}
    return {"accounting_exact": np.array([float((~table["match"].astype(bool)).sum())])}


def registered(claims: list[Claim], n_seeds: int | None = None) -> pd.DataFrame:
    """The claims as a table for the page, shown before any result.

    Args:
        n_seeds: Seeds (or timing rounds) this run provides, shown next to the registered
            number; fewer than registered makes the verdict *inconclusive*.
    """
    rows = [
        {
            "paper_item": c.paper_item,
            "claim": c.claim,
            "quantity": c.quantity,
            "expected": f"{c.expected} vs {c.threshold:g}",
            "control": c.control,
            "n_registered": c.n_seeds,
        }
        for c in claims
    ]
    table = pd.DataFrame(rows)
    if n_seeds is not None:
        table["n_this_run"] = n_seeds
    return table


def pair_table(lat: pd.DataFrame, pair: dict[str, object] | None) -> pd.DataFrame:
    """The decoder-vs-encoder comparison per generation setup (medians over rounds).

    Shows where the pooled estimate of ``decoder_dominates`` comes from: on a CPU, large
    batches make the encoder's share, and so the narrow encoder's speedup, grow.
    """
    cols = ["arch", "batch", "output_len", "num_beams", "k", "s", "decoder_speedup"]
    cols += ["encoder_speedup", "speedup_difference"]
    if pair is None:
        return pd.DataFrame(columns=cols)
    arch, rows = str(pair["arch"]), []
    keys = ["batch", "output_len", "num_beams"]
    for setup, grp in lat[lat.arch == arch].groupby(keys):
        dec = round_speedups(grp, arch, str(pair["k"]), 0.0)
        enc = round_speedups(grp, arch, "all", float(pair["s"]))
        if dec.size and enc.size:
            d, e = float(np.median(dec)), float(np.median(enc))
            values = [arch, *setup, pair["k"], pair["s"], d, e, d - e]
            rows.append(dict(zip(cols, values, strict=True)))
    return pd.DataFrame(rows, columns=cols)
