"""Teacher fine-tuning, stage 1 (ILD, no labels) and stage 2 (prediction-layer KD).

Follows the release (``/work/shared/reference/cr_ild.md`` section 1): AdamW with 10 %
linear warm-up then linear decay, weight decay 0.01 except biases and LayerNorm, gradient
clipping at 1.0, the last partial batch dropped in stage 1; stage 2 uses no gold labels
and evaluates on dev every ``eval_every`` steps, and we report both the best dev value
(the paper's protocol) and the last one.

Randomness: batch order comes from a ``torch.Generator``; dropout needs the global torch
RNG, so every loop runs inside ``torch.random.fork_rng`` with a seeded state, leaving the
caller's global RNG untouched.

Data contract: :class:`Encoded` holds ``int64[n, T]`` ids, mask and type ids (all padded
to one length ``T``) and labels ``int64[n]`` / ``float32[n]``.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from repro.crild.encoded import Encoded, encode  # noqa: F401 (re-exported)
from repro.crild.losses import kd_loss
from repro.crild.metrics import task_metrics
from repro.crild.models import DistillBert, EncoderOutput

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OptimConfig:
    """One training loop's hyper-parameters."""

    epochs: int
    lr: float
    batch_size: int
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    drop_last: bool = False


def make_optimizer(model: nn.Module, cfg: OptimConfig, total_steps: int):
    """AdamW (no decay on bias/LayerNorm) with linear warm-up and linear decay."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if "bias" in name or "LayerNorm" in name else decay).append(p)
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        eps=1e-6,
        foreach=True,
    )
    warm = max(1, int(cfg.warmup * total_steps))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


def batches(
    n: int, batch_size: int, gen: torch.Generator, drop_last: bool
) -> Iterator[torch.Tensor]:
    """Shuffled index batches of one epoch."""
    perm = torch.randperm(n, generator=gen)
    stop = n - n % batch_size if drop_last else n
    for i in range(0, stop, batch_size):
        yield perm[i : i + batch_size]


def steps_per_epoch(n: int, batch_size: int, drop_last: bool) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)


def _forward_in_chunks(model: DistillBert, data: Encoded, batch_size: int) -> list[EncoderOutput]:
    """``model`` applied to consecutive slices of ``batch_size`` rows (bounded memory)."""
    return [
        model(
            data.ids[i : i + batch_size],
            data.mask[i : i + batch_size],
            data.types[i : i + batch_size],
        )
        for i in range(0, len(data), batch_size)
    ]


@torch.no_grad()
def predict(model: DistillBert, data: Encoded, batch_size: int = 256) -> torch.Tensor:
    """Logits ``float[n, C]`` in eval mode (mode restored afterwards)."""
    was = model.training
    model.eval()
    out = [part.logits for part in _forward_in_chunks(model, data, batch_size)]
    model.train(was)
    return torch.cat(out)


def evaluate(model: DistillBert, data: Encoded, task: str) -> dict[str, float]:
    """Dev metrics of ``model`` (see :func:`repro.crild.metrics.task_metrics`)."""
    logits = predict(model, data)
    pred = logits[:, 0] if logits.shape[1] == 1 else logits.argmax(-1)
    return task_metrics(task, pred.cpu().numpy(), data.labels.cpu().numpy())


def _step(model: nn.Module, loss: torch.Tensor, opt, sched, max_norm: float) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    opt.step()
    sched.step()


def finetune_teacher(
    model: DistillBert,
    train: Encoded,
    dev: Encoded,
    task: str,
    cfg: OptimConfig,
    seed: int,
    progress: bool = False,
) -> tuple[DistillBert, list[dict[str, float]]]:
    """Fine-tunes with cross-entropy (MSE for regression); keeps the best-on-dev epoch.

    Returns:
        ``(best model, per-epoch dev metrics)``.
    """
    regression = model.num_labels == 1
    gen = torch.Generator().manual_seed(seed)
    total = cfg.epochs * steps_per_epoch(len(train), cfg.batch_size, cfg.drop_last)
    opt, sched = make_optimizer(model, cfg, total)
    history, best, best_state = [], -float("inf"), None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.train()
        for _ in tqdm(range(cfg.epochs), desc=f"teacher {task}", disable=not progress):
            for idx in batches(len(train), cfg.batch_size, gen, cfg.drop_last):
                b = train.take(idx)
                logits = model(b.ids, b.mask, b.types).logits
                if regression:
                    loss = nn.functional.mse_loss(logits[:, 0], b.labels.float())
                else:
                    loss = nn.functional.cross_entropy(logits, b.labels)
                _step(model, loss, opt, sched, cfg.max_grad_norm)
            history.append(evaluate(model, dev, task))
            if best_state is None or history[-1]["select"] > best or math.isnan(best):
                best, best_state = history[-1]["select"], copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    model.eval()
    return model, history


@torch.no_grad()
def teacher_outputs(teacher: DistillBert, data: Encoded, batch_size: int = 128) -> EncoderOutput:
    """Teacher outputs for every row of ``data`` (eval mode), concatenated on dim 0.

    Used to cache what the non-mixup ILD losses and stage-2 KD read: inputs are not
    perturbed there, so the teacher's outputs are the same every epoch.
    """
    teacher.eval()
    parts = _forward_in_chunks(teacher, data, batch_size)
    cat = lambda name, j: torch.cat([getattr(p, name)[j] for p in parts])  # noqa: E731
    return EncoderOutput(
        logits=torch.cat([p.logits for p in parts]),
        hidden=[cat("hidden", j) for j in range(len(parts[0].hidden))],
        queries=[cat("queries", j) for j in range(len(parts[0].queries))],
        keys=[cat("keys", j) for j in range(len(parts[0].keys))],
        values=[cat("values", j) for j in range(len(parts[0].values))],
        scores=[cat("scores", j) for j in range(len(parts[0].scores))],
    )


def slice_outputs(out: EncoderOutput, idx: torch.Tensor) -> EncoderOutput:
    """Rows ``idx`` of a cached :class:`EncoderOutput` (``idx`` moved to the cache's device)."""
    idx = idx.to(out.logits.device)
    return EncoderOutput(
        logits=out.logits[idx],
        hidden=[h[idx] for h in out.hidden],
        queries=[q[idx] for q in out.queries],
        keys=[k[idx] for k in out.keys],
        values=[v[idx] for v in out.values],
        scores=[s[idx] for s in out.scores],
    )


def best_index(values: list[float]) -> int:
    """Index of the largest non-NaN value (the last index if all are NaN).

    ``max`` with a NaN first element returns that NaN (every comparison with NaN is
    False), which would freeze best-on-dev selection at the first evaluation.
    """
    best = None
    for i, v in enumerate(values):
        if not math.isnan(v) and (best is None or v > values[best]):
            best = i
    return len(values) - 1 if best is None else best


@dataclass
class KDResult:
    """Stage-2 outcome: dev evaluations ``[(step, metrics)]``, best and last values."""

    evals: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)

    def best(self) -> dict[str, float]:
        """Metrics of the evaluation with the highest selection value (best-on-dev).

        NaN-safe: an evaluation whose selection value is NaN (e.g. a correlation of constant
        predictions) never wins, whatever its position; if every value is NaN, the last.
        """
        return self.evals[best_index([e[1]["select"] for e in self.evals])][1]

    def last(self) -> dict[str, float]:
        return self.evals[-1][1]


def stage2_kd(
    student: DistillBert,
    train: Encoded,
    dev: Encoded,
    task: str,
    cfg: OptimConfig,
    seed: int,
    teacher_logits: torch.Tensor | None = None,
    teacher: DistillBert | None = None,
    temperature: float = 2.0,
    eval_every: int = 50,
    progress: bool = False,
) -> KDResult:
    """Prediction-layer KD on the train inputs (no gold labels).

    Args:
        teacher_logits: cached ``float[n, C]`` teacher logits for ``train`` (fast path).
        teacher: used instead when ``teacher_logits`` is None (recomputed every step).
        eval_every: dev evaluation period in optimiser steps (also after the last step).
    """
    if teacher_logits is None and teacher is None:
        raise ValueError("stage2_kd needs teacher_logits or teacher")
    regression = student.num_labels == 1
    gen = torch.Generator().manual_seed(seed)
    total = cfg.epochs * steps_per_epoch(len(train), cfg.batch_size, cfg.drop_last)
    opt, sched = make_optimizer(student, cfg, total)
    result, step = KDResult(), 0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        student.train()
        bar = tqdm(total=total, desc=f"KD {task}", disable=not progress)
        for _ in range(cfg.epochs):
            for idx in batches(len(train), cfg.batch_size, gen, cfg.drop_last):
                b = train.take(idx)
                if teacher_logits is not None:
                    t_logits = teacher_logits[idx.to(teacher_logits.device)]
                else:
                    with torch.no_grad():
                        teacher.eval()
                        t_logits = teacher(b.ids, b.mask, b.types).logits
                s_logits = student(b.ids, b.mask, b.types).logits
                loss = kd_loss(s_logits, t_logits, regression, temperature)
                _step(student, loss, opt, sched, cfg.max_grad_norm)
                result.losses.append(float(loss.detach()))
                step += 1
                bar.update()
                if step % eval_every == 0 or step == total:
                    result.evals.append((step, evaluate(student, dev, task)))
        bar.close()
    return result


def stage1_ild(
    student: DistillBert,
    train: Encoded,
    loss_fn: Callable[..., torch.Tensor],
    cfg: OptimConfig,
    seed: int,
    epoch_hook: Callable[[int], None] | None = None,
    progress: bool = False,
) -> list[float]:
    """Stage 1: minimise ``loss_fn(student, batch_idx, batch, epoch, gen)`` without labels.

    Args:
        loss_fn: builds the ILD loss of one batch (see :mod:`repro.crild.methods`).
        epoch_hook: called with the epoch index after every epoch (e.g. to log held-out
            layer distances on held-out inputs).

    Returns:
        Mean training loss per epoch.
    """
    gen = torch.Generator().manual_seed(seed)
    total = cfg.epochs * steps_per_epoch(len(train), cfg.batch_size, cfg.drop_last)
    opt, sched = make_optimizer(student, cfg, total)
    means = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for epoch in tqdm(range(cfg.epochs), desc="ILD", disable=not progress):
            student.train()
            losses = []
            for idx in batches(len(train), cfg.batch_size, gen, cfg.drop_last):
                loss = loss_fn(student, idx, train.take(idx), epoch, gen)
                _step(student, loss, opt, sched, cfg.max_grad_norm)
                losses.append(float(loss.detach()))
            means.append(float(np.mean(losses)) if losses else float("nan"))
            if epoch_hook is not None:
                epoch_hook(epoch)
    return means
