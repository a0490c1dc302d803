"""``repro crild run``: distil a student on a user's own GLUE copy and BERT checkpoint.

Settings come from the notebooks' ``Config`` (:class:`repro.crild.config.MainTableConfig`)
overridden by the paper recipe (:func:`repro.crild.config.paper_recipe`, read from
``profiles/paper.yaml``) and then by the flags given; no literal is repeated here.
Only ``argparse`` is imported at module level; torch and friends load inside the handler.
"""

from __future__ import annotations

import argparse

#: Flags that override a ``Config`` field of the same name (dashes for underscores).
OVERRIDES = (
    ("student_layers", int),
    ("max_seq_len", int),
    ("ild_epochs", int),
    ("kd_epochs", int),
    ("teacher_epochs", int),
    ("eval_every", int),
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers ``crild`` (with the ``run`` sub-command) on an argparse subparsers object."""
    crild = subparsers.add_parser("crild", help="CR-ILD intermediate-layer distillation")
    sub = crild.add_subparsers(dest="crild_command", required=True)
    run = sub.add_parser(
        "run",
        help="fine-tune a teacher, then distil one method over seeds (paper recipe by default)",
    )
    run.add_argument("--data", required=True, help="GLUE root or one task folder (TSV layout)")
    run.add_argument(
        "--task", required=True, help="cola, sst-2, mrpc, sts-b, qqp, mnli, mnli-mm, qnli, rte"
    )
    run.add_argument(
        "--method",
        required=True,
        help="KD, PKD, TinyBERT, EMD, L-ILD, L-ILD-QKV, CR-ILD, CR-ILD-released (any case)",
    )
    run.add_argument(
        "--teacher",
        required=True,
        help="pretrained BERT folder (HF layout); 'minilm' = bundled MiniLM",
    )
    run.add_argument("--seeds", type=int, nargs="+", default=None, help="default: the paper's")
    run.add_argument("--pooling", choices=["cls", "mean"], default=None)
    run.add_argument("--device", default=None, help="auto (default), cpu or cuda[:n]")
    for name, kind in OVERRIDES:
        run.add_argument(f"--{name.replace('_', '-')}", type=kind, default=None)
    run.add_argument(
        "--max-train", type=int, default=0, help="use only the first N training rows (0 = all)"
    )
    run.add_argument(
        "--supplementary",
        default="",
        help="GLUE task under --data whose training inputs L-ILD-other distils on",
    )
    run.add_argument("--cache-dir", default="", help="teacher cache (default <build>/cache/crild)")
    run.add_argument("--json", action="store_true", help="print results as JSON lines")
    run.set_defaults(func=handle_run)
    return crild


def build_config(args: argparse.Namespace, task: str, method: str):
    """The run's :class:`MainTableConfig`: defaults, then the paper recipe, then the flags."""
    from repro.core.config import build_config as _build
    from repro.crild.config import MainTableConfig, paper_recipe

    values = {
        **paper_recipe(),
        "data_source": "glue",
        "tasks": [task],
        "methods": [method],
        "teacher_path": "" if args.teacher == "minilm" else args.teacher,
    }
    if args.seeds:
        values["seeds"] = list(args.seeds)
    for name in ("pooling", "device", *(n for n, _ in OVERRIDES)):
        if getattr(args, name, None) is not None:
            values[name] = getattr(args, name)
    return _build(MainTableConfig, values)


def attach_other_task(bundle, args: argparse.Namespace, cfg) -> None:
    """Attaches ``--supplementary``'s training inputs (read from ``--data``) to ``bundle``."""
    from repro.crild.glue import load_task, task_spec
    from repro.crild.methods import MissingSupplementaryError
    from repro.crild.supplementary import attach_supplementary

    if not args.supplementary:
        raise MissingSupplementaryError(
            f"--method {args.method}: distils on another task's inputs; name it with "
            "--supplementary TASK"
        )
    other = task_spec(args.supplementary).name
    train, _ = load_task(args.data, other)
    splits = {
        "train_text_a": train.text_a,
        "train_text_b": train.text_b or None,
        "train_label": train.labels,
    }
    attach_supplementary(bundle, splits, cfg, other)


def handle_run(args: argparse.Namespace) -> int:
    """Runs the experiment and prints best-on-dev and last-checkpoint metrics per seed."""
    import json

    from repro.crild.glue import load_task, task_spec
    from repro.crild.methods import get_method
    from repro.crild.runner import result_rows, run_method
    from repro.crild.teacher_cache import prepare_task

    spec = task_spec(args.task)
    method = get_method(args.method).name  # one-line error listing the choices
    cfg = build_config(args, spec.name, method)
    train, dev = load_task(args.data, spec.name)
    n = args.max_train or len(train)
    splits = {
        "train_text_a": train.text_a[:n],
        "train_text_b": (train.text_b or None) and train.text_b[:n],
        "train_label": train.labels[:n],
        "dev_text_a": dev.text_a,
        "dev_text_b": dev.text_b,
        "dev_label": dev.labels,
    }
    bundle = prepare_task(spec.name, splits, cfg, cfg.seeds[0], cache_dir=args.cache_dir or None)
    if get_method(method).inputs == "other":
        attach_other_task(bundle, args, cfg)
    for seed in cfg.seeds:
        for row in result_rows("glue", spec.name, run_method(bundle, method, cfg, seed)):
            if args.json:
                print(json.dumps(row))
            elif row["metric"] == "select":
                print(f"{spec.name}\t{method}\tseed={seed}\t{row['selection']}\t{row['value']:.4f}")
    return 0
