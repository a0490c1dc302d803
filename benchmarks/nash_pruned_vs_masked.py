"""Full vs masked vs physically pruned T5 in one run (NASH: k decoder layers, encoder sparsity s).

The masked model multiplies removed heads / FFN dimensions by zero but still computes
them, so it should be no faster than the full model; the physically pruned model
drops them (and the unselected decoder blocks) and should be faster. Latency of
forced-length greedy ``generate`` is timed with the configurations interleaved;
results go to ``build/benchmarks/nash.csv`` (written atomically); a full (not ``--quick``)
run also publishes them to ``benchmarks/results/nash_pruned_vs_masked.csv`` for the book's
performance page.

    python benchmarks/nash_pruned_vs_masked.py          # T5-base, k=3, s=0.3, 128 -> 64 tokens
    python benchmarks/nash_pruned_vs_masked.py --quick    # T5-small, short sequences
"""

from __future__ import annotations

import argparse
import logging

import pandas as pd
import torch

from repro.core.atomic import atomic_write_text
from repro.core.benchmarks import write_results
from repro.core.paths import build_root
from repro.core.timing import cuda_sync_if_available, time_interleaved
from repro.nash.arch import count_parameters, random_t5, t5_config
from repro.nash.latency import GenerationSetup, environment_record, generate_call, make_inputs
from repro.nash.layers import select_decoder_layers, shorten_decoder
from repro.nash.masks import apply_masks, uniform_masks
from repro.nash.prune import prune_model
from repro.nash.sparsity import uniform_encoder_kept

log = logging.getLogger("nash_benchmark")


def build(arch: str, k: int, s: float, seed: int):
    """Full model, masks (dropped decoder blocks zeroed too) and the physically pruned model."""
    cfg = t5_config(arch)
    full = random_t5(cfg, seed=seed)
    heads, dims = uniform_encoder_kept(cfg, s)
    enc = {
        "enc.self": uniform_masks(cfg, "enc.self", heads, seed=seed),
        "enc.ffn": uniform_masks(cfg, "enc.ffn", dims, seed=seed + 1),
    }
    keep = select_decoder_layers(cfg.num_decoder_layers, k)
    # The masked stand-in for "fewer decoder layers" zeroes the dropped blocks' heads and FFN dims:
    # their residual branches add nothing, but they are still computed.
    dec_on = torch.zeros(cfg.num_decoder_layers, 1)
    dec_on[keep] = 1.0
    masked = {
        **enc,
        "dec.self": dec_on.expand(-1, cfg.num_heads).clone(),
        "dec.cross": dec_on.expand(-1, cfg.num_heads).clone(),
        "dec.ffn": dec_on.expand(-1, cfg.d_ff).clone(),
    }
    pruned = prune_model(shorten_decoder(full, keep), enc)
    return full, masked, pruned


def main(argv: list[str] | None = None) -> pd.DataFrame:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick", action="store_true", help="T5-small, input 32, 8 new tokens, 3 repeats"
    )
    p.add_argument("--arch", default=None)
    p.add_argument("--decoder-layers", type=int, default=3)
    p.add_argument("--encoder-sparsity", type=float, default=0.3)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--input-len", type=int, default=None)
    p.add_argument("--output-len", type=int, default=None)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--threads", type=int, default=1, help="torch threads (0 = leave the default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(build_root() / "benchmarks" / "nash.csv"))
    args = p.parse_args(argv)
    arch = args.arch or ("t5-small" if args.quick else "t5-base")
    setup = GenerationSetup(
        args.batch,
        args.input_len or (32 if args.quick else 128),
        args.output_len or (8 if args.quick else 64),
    )
    repeats = args.repeats or (3 if args.quick else 5)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    full, masks, pruned = build(arch, args.decoder_layers, args.encoder_sparsity, args.seed)
    ids = make_inputs(setup, full.config.vocab_size, args.seed)
    full_call = generate_call(full, ids, setup)
    pruned_call = generate_call(pruned, ids, setup)

    def masked_call():
        with apply_masks(full, masks):
            return full_call()

    calls = {"full": full_call, "masked": masked_call, "pruned": pruned_call}
    stats = time_interleaved(calls, warmup=1, repeats=repeats, sync=cuda_sync_if_available())
    env = environment_record(full)
    n_full = count_parameters(full)["total"]
    rows = []
    for name, st in stats.items():
        rows.append(
            {
                "configuration": name,
                "median_ms": st["median_ms"],
                "iqr_ms": st["iqr_ms"],
                "speedup_vs_full": stats["full"]["median_ms"] / st["median_ms"],
                "repeats": repeats,
                "params": count_parameters(pruned)["total"] if name == "pruned" else n_full,
                "arch": arch,
                "decoder_layers": args.decoder_layers,
                "encoder_sparsity": args.encoder_sparsity,
                "batch": setup.batch,
                "input_len": setup.input_len,
                "output_len": setup.output_len,
                **env,
            }
        )
    df = pd.DataFrame(rows)
    atomic_write_text(args.out, df.to_csv(index=False, lineterminator="\n"))
    log.info("wrote %s", args.out)
    if not args.quick:
        path = write_results(
            df,
            "nash_pruned_vs_masked",
            title=f"NASH: full vs masked vs physically pruned {arch}",
            description=(
                f"Forced-length greedy generate() of random-weight {arch}, k={args.decoder_layers} "
                f"decoder layers, encoder sparsity {args.encoder_sparsity}: masks zero the removed "
                "units but still compute them; physical pruning removes them. Configurations "
                f"interleaved, median of {repeats} repeats, on {env['device_name']}."
            ),
            parameters=vars(args),
        )
        log.info("published %s", path)
    print(
        df[["configuration", "median_ms", "iqr_ms", "speedup_vs_full", "params"]]
        .round(2)
        .to_string(index=False)
    )
    return df


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
