"""``repro twlv evaluate EMBEDDINGS_DIR [--protocol linear|attentive|knn|all] [--json]``.

Only argparse is imported at module level; the handler imports the heavy modules.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``twlv`` command group (with ``evaluate``) on ``subparsers``."""
    twlv = subparsers.add_parser("twlv", help="TWLV-I video-embedding evaluation")
    sub = twlv.add_subparsers(dest="twlv_command", required=True)
    ev = sub.add_parser(
        "evaluate",
        help="probe any model's embeddings in the TWLV-I release format",
        description="Run linear probing, attentive probing and kNN (uniform/clip/video) on "
        "embeddings laid out as EMBEDDINGS_DIR/[uniform|multi-clip/]{train,val}/<id>.json, "
        "<id>_c.npy, <id>_v.npy (or packed train.npz/val.npz).",
    )
    ev.add_argument("embeddings_dir", metavar="EMBEDDINGS_DIR")
    ev.add_argument("--protocol", choices=["linear", "attentive", "knn", "all"], default="all")
    ev.add_argument("--json", action="store_true", help="print machine-readable JSON")
    ev.add_argument("--num-classes", type=int, default=None, help="default: max label + 1")
    ev.add_argument("--epochs", type=int, default=None, help="override probe epochs")
    ev.add_argument("--k", type=int, default=200, help="kNN neighbours (default 200)")
    ev.add_argument("--seed", type=int, default=0)
    ev.set_defaults(func=handle_evaluate)
    return twlv


def handle_evaluate(args: argparse.Namespace) -> int:
    """Run :func:`repro.twlv.evaluate.run_evaluate_command` from parsed arguments."""
    from repro.twlv.evaluate import run_evaluate_command

    text = run_evaluate_command(
        args.embeddings_dir,
        args.protocol,
        args.json,
        args.num_classes,
        args.epochs,
        args.k,
        args.seed,
    )
    print(text)
    return 0
