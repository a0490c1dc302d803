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
    add_metrics_parsers(sub)
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


# --- tas-metrics / tal-metrics: score your own outputs as the release's evaluation does ---


def add_metrics_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``tas-metrics`` and ``tal-metrics`` on the ``twlv`` subcommands."""
    tas = sub.add_parser(
        "tas-metrics",
        help="accuracy, Edit, F1@{10,25,50} of per-frame action predictions",
        description="Score temporal action segmentation as the TWLV-I release's "
        "utils/eval.py does. GT_DIR and PRED_DIR hold <video>.txt files with one action "
        "name per frame (the release's groundTruth/ format); every prediction file is "
        "scored unless --split names a split bundle.",
    )
    tas.add_argument("gt_dir", metavar="GT_DIR")
    tas.add_argument("pred_dir", metavar="PRED_DIR")
    tas.add_argument(
        "--background",
        nargs="*",
        default=None,
        metavar="NAME",
        help="labels left out of Edit and F1 (default: background, as the release; "
        "give the flag alone for none)",
    )
    tas.add_argument(
        "--split",
        nargs="+",
        default=(),
        metavar="BUNDLE",
        help="score these splits/test.splitN.bundle files and average over them, as the "
        "release does (default: every prediction file)",
    )
    tas.add_argument("--json", action="store_true", help="print machine-readable JSON")
    tas.set_defaults(func=handle_tas_metrics)

    tal = sub.add_parser(
        "tal-metrics",
        help="mAP at tIoU thresholds of temporal action detections",
        description="Score temporal action localisation as the release's ANETdetection "
        "(ActionFormer) does. GT.json: database -> video -> {subset, annotations: "
        "[{segment, label_id}]}; PRED.json: database -> video -> [{segment, label_id, "
        "scores}] or results -> video -> [{segment, label, score}].",
    )
    tal.add_argument("gt_json", metavar="GT.json")
    tal.add_argument("pred_json", metavar="PRED.json")
    tal.add_argument(
        "--tiou", nargs="+", type=float, default=None, help="tIoU thresholds (overrides --preset)"
    )
    tal.add_argument(
        "--preset",
        choices=["thumos", "anet"],
        default="thumos",
        help="the release's thresholds: thumos = linspace(0.3, 0.7, 5), "
        "anet = linspace(0.5, 0.95, 10) (default thumos)",
    )
    tal.add_argument("--subset", default=None, help="score only this subset (e.g. test)")
    tal.add_argument("--json", action="store_true", help="print machine-readable JSON")
    tal.set_defaults(func=handle_tal_metrics)


def handle_tas_metrics(args: argparse.Namespace) -> int:
    """Print :func:`repro.twlv.metrics_commands.tas_metrics_command`."""
    from repro.twlv.metrics_commands import tas_metrics_command
    from repro.twlv.tas_metrics import RELEASE_BACKGROUND

    background = RELEASE_BACKGROUND if args.background is None else args.background
    print(tas_metrics_command(args.gt_dir, args.pred_dir, background, args.split, args.json))
    return 0


def handle_tal_metrics(args: argparse.Namespace) -> int:
    """Print :func:`repro.twlv.metrics_commands.tal_metrics_command`."""
    from repro.twlv.metrics_commands import tal_metrics_command
    from repro.twlv.tal_metrics import ANET_TIOU, THUMOS_TIOU

    tiou = args.tiou or {"thumos": THUMOS_TIOU, "anet": ANET_TIOU}[args.preset]
    print(tal_metrics_command(args.gt_json, args.pred_json, tiou, args.subset, args.json))
    return 0
