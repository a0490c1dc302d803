"""``repro twlv evaluate EMBEDDINGS_DIR [--protocol linear|attentive|knn|all|official] [--json]``.

Defaults come from :class:`repro.twlv.config.EvaluateConfig` (the benchmark notebook's kNN
and attentive settings), so the command and the notebooks cannot drift apart;
``--protocol official`` takes the release's settings from
:class:`repro.twlv.official.OfficialProtocol` instead. Only argparse and the (light) config
module are imported at module level.
"""

from __future__ import annotations

import argparse

from repro.twlv.config import RELEASE_DATASETS, EvaluateConfig

_DEFAULTS = EvaluateConfig()


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
    ev.add_argument(
        "--protocol",
        choices=["linear", "attentive", "knn", "all", "official"],
        default=_DEFAULTS.protocol,
        help="official: the release's kNN (video, clip) and linear probe, top-1 as its "
        "scripts print it (see the README, 'TWLV-I: official protocol')",
    )
    ev.add_argument("--json", action="store_true", help="print machine-readable JSON")
    ev.add_argument("--num-classes", type=int, default=None, help="default: max label + 1")
    ev.add_argument(
        "--dataset-name",
        choices=[folder for folder, _ in RELEASE_DATASETS.values()],
        default=None,
        help="official protocol: the release's --dataset_name, which sets the class count",
    )
    ev.add_argument(
        "--variant",
        choices=["uniform", "multi-clip"],
        default=None,
        help="official protocol: which variant folder to read (default: EMBEDDINGS_DIR "
        "itself if it holds train/, else uniform/, else multi-clip/)",
    )
    ev.add_argument(
        "--epochs", type=int, default=_DEFAULTS.epochs, help="override probe epochs (0: keep)"
    )
    ev.add_argument(
        "--k", type=int, default=_DEFAULTS.knn_k, help=f"kNN neighbours (default {_DEFAULTS.knn_k})"
    )
    ev.add_argument("--seed", type=int, default=_DEFAULTS.seed)
    ev.set_defaults(func=handle_evaluate)
    return twlv


def handle_evaluate(args: argparse.Namespace) -> int:
    """Run :func:`repro.twlv.evaluate.run_evaluate_command` from parsed arguments."""
    from repro.core.config import build_config
    from repro.twlv.evaluate import run_evaluate_command, run_official_command

    if args.protocol == "official":
        print(
            run_official_command(
                args.embeddings_dir, args.json, args.num_classes, args.dataset_name,
                args.variant, args.epochs or 0,
            )
        )  # fmt: skip
        return 0
    if args.dataset_name or args.variant:
        from repro.core.errors import InputError

        raise InputError("--dataset-name and --variant apply to --protocol official only")

    cfg = build_config(
        EvaluateConfig,
        {"protocol": args.protocol, "knn_k": args.k, "epochs": args.epochs or 0,
         "seed": args.seed},
    )  # fmt: skip
    print(run_evaluate_command(args.embeddings_dir, cfg, args.json, args.num_classes))
    return 0
