"""``repro crild run``: distil a student on a user's own GLUE copy and BERT checkpoint.

Only ``argparse`` is imported at module level; torch and friends load inside the handler.
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers ``crild`` (with the ``run`` sub-command) on an argparse subparsers object."""
    crild = subparsers.add_parser("crild", help="CR-ILD intermediate-layer distillation")
    sub = crild.add_subparsers(dest="crild_command", required=True)
    run = sub.add_parser("run", help="fine-tune a teacher, then distil one method over seeds")
    run.add_argument("--data", required=True, help="GLUE root or one task folder (TSV layout)")
    run.add_argument(
        "--task", required=True, help="cola, sst-2, mrpc, sts-b, qqp, mnli, mnli-mm, qnli, rte"
    )
    run.add_argument(
        "--method",
        required=True,
        help="KD, PKD, TinyBERT, EMD, L-ILD, L-ILD-QKV, CR-ILD, CR-ILD-released",
    )
    run.add_argument(
        "--teacher",
        required=True,
        help="pretrained BERT folder (HF layout); 'minilm' = bundled MiniLM",
    )
    run.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    run.add_argument("--student-layers", type=int, default=6)
    run.add_argument("--max-seq-len", type=int, default=128)
    run.add_argument("--pooling", choices=["cls", "mean"], default="cls")
    run.add_argument("--ild-epochs", type=int, default=20)
    run.add_argument("--kd-epochs", type=int, default=4)
    run.add_argument("--teacher-epochs", type=int, default=4)
    run.add_argument("--eval-every", type=int, default=50)
    run.add_argument(
        "--max-train", type=int, default=0, help="use only the first N training rows (0 = all)"
    )
    run.add_argument("--cache-dir", default="", help="teacher cache (default <build>/cache/crild)")
    run.add_argument("--json", action="store_true", help="print results as JSON lines")
    run.set_defaults(func=handle_run)
    return crild


def handle_run(args: argparse.Namespace) -> int:
    """Runs the experiment and prints best-on-dev and last-checkpoint metrics per seed."""
    import json

    from repro.crild.experiments import ExperimentConfig, prepare_task, result_rows, run_method
    from repro.crild.glue import load_task, task_spec
    from repro.crild.methods import get_method

    spec = task_spec(args.task)
    get_method(args.method)
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
    cfg = ExperimentConfig(
        max_seq_len=args.max_seq_len,
        teacher_epochs=args.teacher_epochs,
        teacher_lr=2e-5,
        teacher_batch=16,
        ild_epochs=args.ild_epochs,
        ild_lr=3e-5,
        ild_batch=32,
        kd_epochs=args.kd_epochs,
        kd_lr=3e-5,
        kd_batch=16,
        eval_every=args.eval_every,
        student_layers=args.student_layers,
        pooling=args.pooling,
        teacher_path="" if args.teacher == "minilm" else args.teacher,
        cache_dir=args.cache_dir,
    )
    bundle = prepare_task(spec.name, splits, cfg, teacher_seed=args.seeds[0])
    for seed in args.seeds:
        rows = result_rows("glue", spec.name, run_method(bundle, args.method, cfg, seed))
        for row in rows:
            if args.json:
                print(json.dumps(row))
            elif row["metric"] == "select":
                print(
                    f"{spec.name}\t{args.method}\tseed={seed}\t{row['selection']}\t{row['value']:.4f}"
                )
    return 0
