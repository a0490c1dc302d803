"""Runs of the ILD-overfitting probe: teacher, stage 1 with gap logging, stage 2 per checkpoint.

Design (issue 14). Every run of one seed starts from the same student (same initialisation
of ``fit_dense`` and the classifier) and, for equal training sets, the same batch order, so
settings are compared *paired by seed*. Stage 1 runs a fixed number of optimiser steps at a
constant learning rate after a linear warm-up (the release decays the rate to zero, which
would make "more ILD" mean "smaller steps"). The clean per-layer distances of
:mod:`repro.crild.probe_gap` are logged at step 0 and every ``log_every`` steps on training
and held-out inputs. At each of ``checkpoints`` a copy of the student goes through the
same prediction-layer KD (stage 2) and is scored on the held-out dev set.

Economy: the student's word-embedding matrix is restricted to the tokens the probe can use
(:func:`repro.crild.probe_data.compact_ids`); teacher outputs on unperturbed inputs are
computed once (mixup runs call the teacher per batch).
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch import nn

from repro.crild import probe_data as D
from repro.crild.methods import METHODS, Method, make_loss_fn
from repro.crild.models import DistillBert, EncoderOutput, build_model, minilm_folder
from repro.crild.probe_gap import distances_on
from repro.crild.teacher_cache import load_or_train_teacher, resolve_device
from repro.crild.train import (
    Encoded,
    OptimConfig,
    batches,
    evaluate,
    slice_outputs,
    stage2_kd,
    steps_per_epoch,
    teacher_outputs,
)

TASK = "syn-sentiment"  # metric key: accuracy
TEACHER_DEV = 200  # teacher's own dev slice (epoch selection), separate from the scored dev set
#: Methods of the probe: U-ILD (TinyBERT-style uniform map), L-ILD, U-ILD on mixup inputs.
PROBE_METHODS: dict[str, Method] = {
    "U-ILD": METHODS["TinyBERT"],
    "L-ILD": METHODS["L-ILD"],
    "U-ILD+mixup": Method("U-ILD+mixup", "attn_hidden", "uniform", mixup=True),
}
#: setting -> (training-size field, method, steps field, gets stage 2 at the checkpoints)
SETTINGS: dict[str, tuple[str, str, str, bool]] = {
    "control": ("n_control", "U-ILD", "control_steps", False),
    "few-U": ("n_few", "U-ILD", "ild_steps", True),
    "few-L": ("n_few", "L-ILD", "ild_steps", True),
    "few-U-mixup": ("n_few", "U-ILD+mixup", "ild_steps", False),
    "many-U": ("n_many", "U-ILD", "ild_steps", True),
}


@dataclass
class ProbeBundle:
    """Data, teacher and cached teacher outputs shared by every run."""

    vocab: D.ProbeVocab
    splits: dict[str, D.ProbeSplit]
    teacher: DistillBert
    train: Encoded  # n_many rows; smaller settings use the first rows
    dev: Encoded
    heldout: Encoded  # first n_gap dev rows (gap curves)
    t_train: EncoderOutput
    t_heldout: EncoderOutput
    teacher_acc: float  # teacher accuracy on the dev set
    folder: Any
    keep: np.ndarray
    device: torch.device


def compact_embeddings(model: DistillBert, keep: np.ndarray, trainable: bool) -> DistillBert:
    """Keeps only the word-embedding rows ``keep`` (inputs must use :func:`D.to_encoded` ids)."""
    emb = model.bert.embeddings
    rows = emb.word_embeddings.weight.detach()[torch.as_tensor(keep)].clone()
    emb.word_embeddings = nn.Embedding.from_pretrained(rows, freeze=not trainable)
    return model


def prepare(cfg: Any) -> ProbeBundle:
    """Generates the data, fine-tunes (or loads) the teacher and caches its outputs."""
    folder = minilm_folder()
    device = resolve_device(cfg.device)
    vocab = D.make_vocab(D.read_vocab(folder / "vocab.txt"), cfg.n_fillers, cfg.data_seed)
    sizes = {"train": cfg.n_many, "dev": cfg.n_dev, "teacher": cfg.n_teacher}
    splits = D.make_probe_data(
        vocab, {**sizes, "teacher_dev": TEACHER_DEV}, cfg.n_slots, cfg.data_seed, cfg.p_negate
    )
    t_cfg = SimpleNamespace(
        pooling=cfg.pooling,
        freeze_word_embeddings=True,
        progress=False,
        teacher_epochs=cfg.teacher_epochs,
        teacher_lr=cfg.teacher_lr,
        teacher_batch=cfg.teacher_batch,
    )
    key = hashlib.sha256(
        b"ild_probe"
        + splits["teacher"].ids.tobytes()
        + splits["teacher_dev"].ids.tobytes()
        + repr(sorted(vars(t_cfg).items())).encode()
    ).hexdigest()[:16]
    full = {k: D.to_encoded(v).to(device) for k, v in splits.items() if k.startswith("teacher")}
    teacher, _ = load_or_train_teacher(
        TASK, full["teacher"], full["teacher_dev"], t_cfg, 0, key, folder, device
    )
    keep = D.compact_ids(list(splits.values()), vocab)
    teacher = compact_embeddings(teacher, keep, trainable=False).to(device).eval()
    enc = {k: D.to_encoded(splits[k], keep).to(device) for k in ("train", "dev")}
    heldout = enc["dev"].take(torch.arange(min(cfg.n_gap, cfg.n_dev)))
    return ProbeBundle(
        vocab=vocab,
        splits=splits,
        teacher=teacher,
        train=enc["train"],
        dev=enc["dev"],
        heldout=heldout,
        t_train=teacher_outputs(teacher, enc["train"]),
        t_heldout=teacher_outputs(teacher, heldout),
        teacher_acc=float(evaluate(teacher, enc["dev"], TASK)["select"]),
        folder=folder,
        keep=keep,
        device=device,
    )


def make_student(bundle: ProbeBundle, cfg: Any, seed: int) -> DistillBert:
    """Bottom ``student_layers`` pretrained layers, new ``fit_dense`` and classifier (seeded)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        hidden = bundle.teacher.bert.shape.hidden_size
        model = build_model(bundle.folder, 2, cfg.student_layers, True, hidden, cfg.pooling)
    model = compact_embeddings(model, bundle.keep, cfg.train_word_embeddings)
    return model.to(bundle.device)


def _optimizer(model: nn.Module, lr: float, warmup: int):
    """AdamW as the release (decay 0.01, none on bias/LayerNorm); warm-up, then constant."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if "bias" in name or "LayerNorm" in name else decay).append(p)
    groups = [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr, eps=1e-6)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, warmup)))


def log_steps(steps: int, every: int) -> list[int]:
    """Steps at which the gap is logged: 0, every ``every`` steps, and the last step."""
    return sorted({*range(0, steps + 1, every), steps})


def stage1(
    bundle: ProbeBundle, student: DistillBert, setting: str, cfg: Any, seed: int
) -> tuple[list[dict[str, Any]], dict[int, dict[str, torch.Tensor]]]:
    """One stage-1 run; returns gap rows and the student's state at ``cfg.checkpoints``."""
    n_field, method_name, steps_field, downstream = SETTINGS[setting]
    n, steps, method = getattr(cfg, n_field), getattr(cfg, steps_field), PROBE_METHODS[method_name]
    idx = torch.arange(n)
    train, cache = bundle.train.take(idx), slice_outputs(bundle.t_train, idx)
    gap_idx = torch.arange(min(n, cfg.n_gap))
    gap_sets = {
        "train": (train.take(gap_idx), slice_outputs(cache, gap_idx)),
        "held-out": (bundle.heldout, bundle.t_heldout),
    }
    heads = bundle.teacher.bert.shape.num_heads
    loss_fn = make_loss_fn(method, bundle.teacher, None if method.mixup else cache, 1)
    batch = min(cfg.ild_batch, n)
    logged, keep = (
        set(log_steps(steps, cfg.log_every)),
        set(cfg.checkpoints) if downstream else set(),
    )
    rows, states = [], {}

    def mark(step: int) -> None:
        if step in logged:
            for split, (data, t_out) in gap_sets.items():
                for r in distances_on(method, student, t_out, data, heads):
                    rows.append(
                        {"setting": setting, "seed": seed, "step": step, "split": split, **r}
                    )
        if step in keep:
            states[step] = copy.deepcopy(student.state_dict())

    gen = torch.Generator().manual_seed(seed)
    opt, sched = _optimizer(student, cfg.ild_lr, cfg.ild_warmup)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        student.train()
        step = 0
        mark(0)
        while step < steps:
            for b_idx in batches(n, batch, gen, drop_last=True):
                loss = loss_fn(student, b_idx, train.take(b_idx), 0, gen)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(student.parameters(), 1.0)
                opt.step()
                sched.step()
                step += 1
                mark(step)
                if step == steps:
                    break
    return rows, states


def stage2_score(bundle: ProbeBundle, student: DistillBert, n: int, cfg: Any, seed: int) -> float:
    """Fixed prediction-layer KD on the first ``n`` training inputs; dev accuracy x100 (last)."""
    idx = torch.arange(n)
    per_epoch = steps_per_epoch(n, cfg.kd_batch, False)
    epochs = max(1, round(cfg.kd_steps / per_epoch))
    result = stage2_kd(
        student,
        bundle.train.take(idx),
        bundle.dev,
        TASK,
        OptimConfig(epochs, cfg.kd_lr, cfg.kd_batch),
        seed,
        teacher_logits=bundle.t_train.logits[idx.to(bundle.device)],
        temperature=cfg.temperature,
        eval_every=10**9,  # evaluate once, after the last step
    )
    return 100.0 * result.last()["select"]


def run_seed(bundle: ProbeBundle, cfg: Any, seed: int) -> tuple[list[dict], list[dict]]:
    """Every setting of ``cfg.settings`` for one seed: ``(gap rows, downstream rows)``."""
    template = make_student(bundle, cfg, seed)
    gaps, scores, done = [], [], {}
    for setting in cfg.settings:
        student = copy.deepcopy(template)
        rows, states = stage1(bundle, student, setting, cfg, seed)
        gaps += rows
        n = getattr(cfg, SETTINGS[setting][0])
        for step, state in sorted(states.items()):
            key = (n, seed, step) if step == 0 else (setting, seed, step)  # step 0: no ILD yet
            if key not in done:
                student.load_state_dict(state)
                done[key] = stage2_score(bundle, student, n, cfg, seed)
            scores.append({"setting": setting, "seed": seed, "step": step, "dev_acc": done[key]})
    return gaps, scores


def run_probe(bundle: ProbeBundle, cfg: Any) -> tuple[list[dict], list[dict]]:
    """:func:`run_seed` over ``cfg.seeds``; rows ready for ``pandas.DataFrame``."""
    gaps, scores = [], []
    for seed in cfg.seeds:
        g, s = run_seed(bundle, cfg, seed)
        gaps += g
        scores += s
    return gaps, scores
