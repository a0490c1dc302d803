"""CR-ILD stage-2 KD: cached teacher logits vs recomputing the teacher every step.

Stage-2 inputs are not perturbed, so the teacher's logits on the training set are the same
every epoch; the library computes them once (``teacher_outputs``) and slices them per batch.
This script runs stage 2 both ways from the same student initialisation and seed, asserts
that the KD losses and dev metrics agree (up to float round-off from different batch
shapes), and times both interleaved. Results (variant, seconds, ratio, ...) go to
``benchmarks/results/crild_cached_teacher.csv`` for the book (``--quick`` runs only to
``build/benchmarks/cr_ild.csv``), written atomically.

    python benchmarks/crild_cached_teacher.py           # MiniLM teacher, 256 examples, 4 epochs
    python benchmarks/crild_cached_teacher.py --quick   # 64 examples, 2 epochs
"""

from __future__ import annotations

import argparse
import copy
import logging

import pandas as pd
import torch

from repro.core.atomic import atomic_write_text
from repro.core.benchmarks import write_results
from repro.core.config import build_config
from repro.core.env import device_info
from repro.core.paths import build_root
from repro.core.timing import time_interleaved
from repro.crild.config import MainTableConfig
from repro.crild.runner import make_student
from repro.crild.synthetic import make_task
from repro.crild.teacher_cache import prepare_task
from repro.crild.train import OptimConfig, predict, stage2_kd

log = logging.getLogger("crild_benchmark")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="64 examples, 2 epochs, 2 repeats")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    n, epochs, repeats = (64, 2, 2) if args.quick else (256, 4, 3)
    cfg = build_config(MainTableConfig, {"teacher_epochs": 1, "device": "cpu"})
    bundle = prepare_task("syn-sentiment", make_task("syn-sentiment", n, 64, seed=0), cfg)
    init = make_student(bundle, cfg, seed=0)
    opt = OptimConfig(epochs, cfg.kd_lr, cfg.kd_batch)

    def run(cached: bool):
        student = copy.deepcopy(init)
        logits = predict(bundle.teacher, bundle.train) if cached else None
        return stage2_kd(
            student,
            bundle.train,
            bundle.dev,
            bundle.task,
            opt,
            seed=1,
            teacher_logits=logits,
            teacher=bundle.teacher,
            eval_every=8,
        )

    a, b = run(True), run(False)
    torch.testing.assert_close(torch.tensor(a.losses), torch.tensor(b.losses), rtol=1e-4, atol=1e-5)
    assert [e[1]["select"] for e in a.evals] == [e[1]["select"] for e in b.evals]
    times = time_interleaved(
        {"cached": lambda: run(True), "recompute": lambda: run(False)}, warmup=0, repeats=repeats
    )
    base = times["recompute"]["median_ms"]
    dev = device_info()
    rows = [
        {
            "variant": k,
            "seconds": v["median_ms"] / 1000,
            "iqr_seconds": v["iqr_ms"] / 1000,
            "ratio": v["median_ms"] / base,
            "repeats": v["repeats"],
            "n_train": n,
            "epochs": epochs,
            "threads": args.threads,
            "device": str(dev.get("cpu", dev)),
        }
        for k, v in times.items()
    ]
    df = pd.DataFrame(rows)
    out = build_root() / "benchmarks" / "cr_ild.csv"
    atomic_write_text(out, df.to_csv(index=False))
    if not args.quick:  # full runs are published for the book's performance page
        out = write_results(
            df,
            "crild_cached_teacher",
            title="CR-ILD: stage-2 KD with cached teacher logits vs recomputing the teacher",
            description=(
                "Stage 2 reads the teacher's logits on unperturbed training inputs from a cache "
                "computed once, instead of running the teacher at every step; losses and dev "
                f"metrics are asserted identical. MiniLM teacher, {n} examples, {epochs} epochs, "
                f"configurations interleaved, median of {repeats} repeats; ratio = time / "
                "recompute time."
            ),
            parameters=vars(args),
        )
    log.info("%s\nwritten to %s", df.to_string(index=False), out)


if __name__ == "__main__":
    main()
