"""``repro nash ...``: latency and parameter counts of full vs NASH-compressed T5 models,
and ``repro nash prune``, which prunes a user's own T5 checkpoint and saves the result.

Only ``argparse`` is imported at module level so that ``repro --help`` stays fast;
torch and transformers are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import sys

from repro.nash.config import ARCHS, DEVICES, LatencyConfig, PruningConfig

#: Defaults come from the notebooks' ``Config`` classes: one home for every setting.
DEFAULTS = LatencyConfig()
PRUNE_DEFAULTS = PruningConfig()
#: ``repro nash prune`` option -> ``PruningConfig`` field it overrides.
PRUNE_FIELDS = {
    "encoder_sparsity": "encoder_sparsity",
    "decoder_layers": "decoder_layers",
    "steps": "prune_steps",
    "warmup_steps": "warmup_steps",
    "final_steps": "final_steps",
    "lr": "prune_lr",
    "final_lr": "final_lr",
    "reg_lr": "reg_lr",
    "batch_size": "batch_size",
    "n_eval": "n_eval",
    "max_source_len": "max_source_len_tokens",
    "max_target_len": "max_target_len_tokens",
    "threads": "threads",
    "device": "device",
}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--arch", choices=ARCHS, default=DEFAULTS.nash_arch, help="model shape")
    p.add_argument(
        "--decoder-layers",
        type=int,
        default=DEFAULTS.nash_decoder_layers,
        help="decoder blocks kept (k), uniform selection",
    )
    p.add_argument(
        "--encoder-sparsity",
        type=float,
        default=DEFAULTS.nash_encoder_sparsity,
        help="fraction of encoder heads and FFN dims removed per layer",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a text table")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``nash latency`` and ``nash params`` on ``subparsers``; return ``nash``."""
    nash = subparsers.add_parser("nash", help="NASH: latency and parameter counts of pruned T5")
    sub = nash.add_subparsers(dest="nash_command", required=True)
    lat = sub.add_parser("latency", help="time generate() for full vs shortened/narrowed random T5")
    _common(lat)
    lat.add_argument("--batch", type=int, default=DEFAULTS.batch_sizes[0])
    lat.add_argument("--input-len", type=int, default=DEFAULTS.input_len)
    lat.add_argument(
        "--output-len",
        type=int,
        default=DEFAULTS.output_lens[0],
        help="forced number of generated tokens",
    )
    lat.add_argument(
        "--beams", type=int, default=DEFAULTS.num_beams[0], help="1 = greedy; 4 as for CNN/DM"
    )
    lat.add_argument("--repeats", type=int, default=DEFAULTS.repeats)
    lat.add_argument("--warmup", type=int, default=DEFAULTS.warmup)
    lat.add_argument(
        "--threads", type=int, default=DEFAULTS.threads, help="torch threads (0 = leave as is)"
    )
    lat.add_argument("--device", choices=DEVICES, default=DEFAULTS.device, help="auto: cuda if any")
    lat.add_argument("--seed", type=int, default=DEFAULTS.seed)
    lat.set_defaults(func=run_latency)
    par = sub.add_parser("params", help="exact parameter counts of the full and pruned model")
    _common(par)
    par.set_defaults(func=run_params)
    _add_prune(sub)
    return nash


def _add_prune(sub: argparse._SubParsersAction) -> None:
    d = PRUNE_DEFAULTS
    p = sub.add_parser(
        "prune",
        help="prune a Hugging Face T5 checkpoint with NASH on your data and save it",
        description="NASH on your own T5: uniform decoder shortening to k blocks, encoder "
        "head/FFN masks driven to the target sparsity, physical pruning, a short fine-tune. "
        "The pruned model is saved in --out; reload it with repro.nash.export.load_pruned.",
    )
    p.add_argument("--checkpoint", required=True, help="T5 folder: config.json, model.safetensors")
    p.add_argument("--data", required=True, help="folder of the task's files (train.json, ...)")
    p.add_argument("--out", required=True, help="output folder for the pruned model")
    p.add_argument("--task", default=d.dataset, help="summarisation task (samsum, xsum, ...)")
    p.add_argument("--encoder-sparsity", type=float, default=d.encoder_sparsity)
    p.add_argument("--decoder-layers", type=int, default=d.decoder_layers, help="k blocks kept")
    p.add_argument("--steps", type=int, default=d.prune_steps, help="pruning steps with masks")
    p.add_argument(
        "--warmup-steps", type=int, default=None, help="target ramp (default: half of --steps)"
    )
    p.add_argument("--final-steps", type=int, default=d.final_steps, help="fine-tune after")
    p.add_argument("--lr", type=float, default=d.prune_lr, help="model lr while pruning")
    p.add_argument("--final-lr", type=float, default=d.final_lr)
    p.add_argument("--reg-lr", type=float, default=d.reg_lr, help="lr of masks and multipliers")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--n-train", type=int, default=0, help="training examples used (0: all)")
    p.add_argument("--n-eval", type=int, default=d.n_eval, help="evaluation examples (0: all)")
    p.add_argument("--max-source-len", type=int, default=d.max_source_len_tokens)
    p.add_argument("--max-target-len", type=int, default=d.max_target_len_tokens)
    p.add_argument("--gen-len", type=int, default=0, help="generated tokens (0: release's)")
    p.add_argument("--no-distill", action="store_true", help="cross-entropy only, as released")
    p.add_argument("--seed", type=int, default=d.seeds[0])
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--device", choices=DEVICES, default=d.device)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_prune)


def run_prune(args: argparse.Namespace) -> int:
    """Prune ``--checkpoint`` on ``--data`` and save it in ``--out``; print a short report."""
    import dataclasses

    from repro.nash.userprune import prune_checkpoint

    if args.warmup_steps is None:
        args.warmup_steps = args.steps // 2  # the release ramps over half the pruning run
    overrides = {field: getattr(args, opt) for opt, field in PRUNE_FIELDS.items()}
    cfg = dataclasses.replace(PRUNE_DEFAULTS, data_source="release", dataset=args.task, **overrides)
    rep = prune_checkpoint(
        args.checkpoint,
        args.data,
        args.out,
        cfg,
        task=args.task,
        distill=not args.no_distill,
        n_train=args.n_train,
        gen_len=args.gen_len,
        seed=args.seed,
    )
    if args.json:
        print(json.dumps(rep, indent=2))
    else:
        print(
            f"pruned {rep['checkpoint']} ({rep['method']}, k={rep['decoder_layers']}, "
            f"encoder target {rep['encoder_sparsity_target']:g}, "
            f"achieved {rep['encoder_sparsity']:.3f}): "
            f"{rep['params_full']:,d} -> {rep['params_pruned']:,d} parameters; saved in {args.out}"
        )
    return 0


def _check(args: argparse.Namespace) -> None:
    from repro.nash.arch import ARCH_SHAPES

    layers = ARCH_SHAPES[args.arch].num_layers
    if not 1 <= args.decoder_layers <= layers:
        raise SystemExit(
            f"--decoder-layers: expected 1..{layers} for {args.arch}, got {args.decoder_layers}"
        )
    if not 0.0 <= args.encoder_sparsity < 1.0:
        raise SystemExit(
            f"--encoder-sparsity: expected a value in [0, 1), got {args.encoder_sparsity}"
        )


def run_params(args: argparse.Namespace) -> int:
    from repro.nash.accounting import params_report

    _check(args)
    rep = params_report(args.arch, args.decoder_layers, args.encoder_sparsity)
    if args.json:
        print(json.dumps(rep, indent=2))
    else:
        print(
            f"{rep['arch']}: decoder layers kept {rep['decoder_layers_kept']}, "
            f"encoder sparsity {rep['encoder_sparsity']:.3f}, overall {rep['overall_sparsity']:.3f}"
        )
        for part in ("total", "embedding", "encoder", "decoder", "lm_head"):
            print(
                f"  {part:<10} full {rep['full'][part]:>12,d}   pruned {rep['pruned'][part]:>12,d}"
            )
    return 0


def latency_report(args: argparse.Namespace) -> dict:
    """Full, decoder-only, encoder-only and NASH models of one shape, timed interleaved."""
    from repro.nash.arch import random_t5, t5_config
    from repro.nash.latency import GenerationSetup, measure, narrowed_model
    from repro.nash.runner import resolve_device, set_threads

    set_threads(args.threads)
    device = resolve_device(args.device)
    cfg = t5_config(args.arch)
    full = random_t5(cfg, seed=args.seed).to(device)
    k, s = args.decoder_layers, args.encoder_sparsity
    models = {"full": full}
    if k < cfg.num_decoder_layers:
        models[f"decoder k={k}"] = narrowed_model(full, 0.0, k).to(device)
    if s > 0:
        models[f"encoder s={s:g}"] = narrowed_model(full, s, None, seed=args.seed).to(device)
    if k < cfg.num_decoder_layers and s > 0:
        models[f"nash k={k} s={s:g}"] = narrowed_model(full, s, k, seed=args.seed).to(device)
    setup = GenerationSetup(args.batch, args.input_len, args.output_len, args.beams)
    recs = measure(
        models,
        setup,
        reference="full",
        warmup=args.warmup,
        repeats=args.repeats,
        seed=args.seed,
        with_parts=False,
    )
    return {
        "arch": args.arch,
        "setup": {
            "batch": args.batch,
            "input_len": args.input_len,
            "output_len": args.output_len,
            "num_beams": args.beams,
            "repeats": args.repeats,
            "warmup": args.warmup,
        },
        "environment": {key: recs[0][key] for key in ("device", "device_name", "threads", "dtype")},
        "latency_ms": {r["config"]: r["median_ms"] for r in recs},
        "iqr_ms": {r["config"]: r["iqr_ms"] for r in recs},
        "speedup": {r["config"]: r["speedup"] for r in recs},
        "params": {r["config"]: r["params"] for r in recs},
    }


def run_latency(args: argparse.Namespace) -> int:
    _check(args)
    rep = latency_report(args)
    if args.json:
        print(json.dumps(rep, indent=2))
        return 0
    env = rep["environment"]
    print(
        f"{rep['arch']} on {env['device_name']} ({env['device']}, {env['threads']} threads), "
        f"setup {rep['setup']}"
    )
    for name, ms in rep["latency_ms"].items():
        print(
            f"  {name:<20} {ms:10.1f} ms  (IQR {rep['iqr_ms'][name]:.1f})  "
            f"speedup {rep['speedup'][name]:.2f}x  params {rep['params'][name]:,d}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m repro.nash.cli nash params ...``."""
    parser = argparse.ArgumentParser(prog="repro")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
