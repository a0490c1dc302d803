"""One method and seed: stage 1 (ILD, unless KD) then stage 2 (prediction-layer KD).

The student is the bottom ``student_layers`` layers of the *pretrained* (not fine-tuned)
checkpoint plus new heads, as the release's ``pkd_initialization`` builds it. Everything a
run touches (student, teacher, batches, cached teacher outputs, losses) lives on the
bundle's device.

Result contract: :func:`result_rows` gives long rows
``setting, task, method, seed, selection, metric, value`` where ``selection`` is ``"best"``
(best dev evaluation, the paper's protocol) or ``"last"`` (final checkpoint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch

from repro.crild.ild_gap import clean_distance_on
from repro.crild.methods import get_method, ild_loss_on, make_loss_fn
from repro.crild.models import DistillBert, build_model
from repro.crild.teacher_cache import TaskBundle, maybe_freeze, num_labels
from repro.crild.train import KDResult, OptimConfig, stage1_ild, stage2_kd


def set_torch_threads(n: int) -> None:
    """Sets torch's intra-op thread count (``0`` leaves it unchanged).

    On a shared 2-core machine two OpenMP threads competing with other processes made a
    training step 5-10x slower than one thread in our measurements.
    """
    if n > 0:
        torch.set_num_threads(n)


def make_student(bundle: TaskBundle, cfg: Any, seed: int) -> DistillBert:
    """Bottom ``cfg.student_layers`` pretrained layers + new heads, on the bundle's device."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(
            bundle.folder,
            num_labels(bundle.task),
            num_layers=cfg.student_layers,
            is_student=True,
            teacher_hidden=bundle.teacher.bert.shape.hidden_size,
            pooling=cfg.pooling,
        )
    return maybe_freeze(model, cfg.freeze_word_embeddings).to(bundle.device)


@dataclass
class MethodRun:
    """One (method, seed): stage-2 result and, if tracked, per-epoch layer distances.

    ``ild_*`` are the method's own objective; ``clean_*`` the clean distance of
    :mod:`repro.crild.ild_gap`. Tracked lists start with the value before stage 1 (step 0).
    """

    method: str
    seed: int
    kd: KDResult | None
    ild_train: list[float] = field(default_factory=list)
    ild_heldout: list[float] = field(default_factory=list)
    clean_train: list[float] = field(default_factory=list)
    clean_heldout: list[float] = field(default_factory=list)
    stage1_loss: list[float] = field(default_factory=list)
    model: DistillBert | None = None  # the trained student when ``keep_model``


def run_method(
    bundle: TaskBundle,
    method_name: str,
    cfg: Any,
    seed: int,
    track_ild: bool = False,
    use_cache: bool = True,
    keep_model: bool = False,
) -> MethodRun:
    """Stage 1 (unless KD) then stage 2 for one method and seed.

    Args:
        bundle: the task's data, teacher and cached teacher outputs (:func:`prepare_task`).
        method_name: a name of :data:`repro.crild.methods.METHODS` (any case).
        cfg: any CR-ILD ``Config`` (model and training fields).
        track_ild: before stage 1 and after each stage-1 epoch, record the ILD objective and
            the clean distance on training and on held-out (dev) inputs, clean, eval mode.
        use_cache: reuse cached teacher outputs where inputs are not perturbed.
        keep_model: keep the trained student in ``MethodRun.model``.
    """
    method = get_method(method_name)
    student = make_student(bundle, cfg, seed)
    run = MethodRun(method.name, seed, kd=None)
    if method.ild != "none":
        layers_cached = bool(bundle.teacher_train is not None and bundle.teacher_train.hidden)
        cache = bundle.teacher_train if use_cache and layers_cached else None
        loss_fn = make_loss_fn(
            method,
            bundle.teacher,
            cache,
            cfg.ild_epochs,
            cfg.w_ic,
            supplementary=bundle.extra.get("supplementary"),
        )
        t_train = bundle.teacher_train if layers_cached else None

        def hook(_epoch: int) -> None:
            for split, t_out, obj, clean in (
                (bundle.train, t_train, run.ild_train, run.clean_train),
                (bundle.dev, bundle.teacher_dev, run.ild_heldout, run.clean_heldout),
            ):
                obj.append(ild_loss_on(method, student, bundle.teacher, split, t_out))
                clean.append(clean_distance_on(method, student, bundle.teacher, split, t_out))

        if track_ild:
            hook(-1)  # step 0: the gap the inputs have before any ILD
        s1 = OptimConfig(cfg.ild_epochs, cfg.ild_lr, cfg.ild_batch, drop_last=True)
        run.stage1_loss = stage1_ild(
            student, bundle.train, loss_fn, s1, seed + 1, hook if track_ild else None, cfg.progress
        )
    s2 = OptimConfig(cfg.kd_epochs, cfg.kd_lr, cfg.kd_batch)
    logits = bundle.teacher_train.logits if use_cache and bundle.teacher_train else None
    run.kd = stage2_kd(
        student,
        bundle.train,
        bundle.dev,
        bundle.task,
        s2,
        seed + 2,
        teacher_logits=logits,
        teacher=bundle.teacher,
        temperature=cfg.temperature,
        eval_every=cfg.eval_every,
        progress=cfg.progress,
    )
    if keep_model:
        run.model = student.eval()
    return run


def result_rows(setting: str, task: str, run: MethodRun) -> list[dict]:
    """Long-format rows (best and last selection) for one run."""
    rows = []
    for selection, metrics in (("best", run.kd.best()), ("last", run.kd.last())):
        for metric, value in metrics.items():
            rows.append(
                {
                    "setting": setting,
                    "task": task,
                    "method": run.method,
                    "seed": run.seed,
                    "selection": selection,
                    "metric": metric,
                    "value": float(value),
                }
            )
    return rows


def run_grid(
    bundles: dict[str, TaskBundle],
    methods: list[str] | tuple[str, ...],
    seeds: list[int] | tuple[int, ...],
    cfg: Any,
    setting: str = "standard",
) -> pd.DataFrame:
    """Every method x seed on every prepared task, as one long table."""
    rows = []
    for task, bundle in bundles.items():
        for method in methods:
            for seed in seeds:
                rows += result_rows(setting, task, run_method(bundle, method, cfg, seed))
    return pd.DataFrame(rows)
