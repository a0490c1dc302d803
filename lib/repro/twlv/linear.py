"""Linear probing of frozen video embeddings (paper Table 3), with a one-pass lr/wd sweep.

Two named protocols:

* ``paper``: Table 4 of the paper (taken from V-JEPA): batch 1024, 10 warm-up epochs,
  cosine decay to 0, no weight decay, per-dataset epochs and learning rates. The paper
  does not name the optimiser; learning rates of 0.02-0.1 point to SGD, so SGD with
  momentum 0.9 is used (an assumption, stated in the book).
* ``release``: the official offline probe (``linear_probing/main.py``): Adam, lr 1e-3,
  150 epochs, batch 1024 with ``drop_last``, 10 warm-up epochs, cosine to 0.

A sweep over (lr, wd) settings is trained simultaneously (one weight matrix per setting,
see :mod:`repro.twlv.optim`); the setting is chosen on a held-out part of the training
split, never on val, and (``refit``) the chosen setting is trained again on the whole
training split before val is scored. ``standardize`` puts a batch normalisation without
affine parameters before the head, as the MAE / V-JEPA probes that Table 4 follows do; a
``steps`` budget replaces ``epochs`` where a small split would give a probe only a few
dozen optimiser steps. ``clip`` mode trains on one random clip per video per epoch and
predicts a video by averaging the softmax over its clips.

The fast full-batch path (scikit-learn's objective, torch L-BFGS) is :mod:`repro.twlv.lbfgs`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from repro.twlv.io import EmbeddingSplit
from repro.twlv.metrics import top1_top5, topk_accuracy
from repro.twlv.optim import BatchedOptimizer, fit_sweep

# Table 4 (linear probing rows): epochs and learning rate per dataset.
PAPER_LP = {
    "K400": (150, 0.1),
    "MiT": (50, 0.1),
    "SSv2": (50, 0.075),
    "DV48": (300, 0.02),
    "EK": (150, 0.1),
    "IN1K": (90, 0.1),
}


@dataclasses.dataclass(frozen=True)
class ProbeProtocol:
    """Training recipe of a probe and the settings swept in one pass.

    Attributes:
        name: Label recorded in results.
        optimizer: ``"sgd"``, ``"adam"`` or ``"adamw"``.
        lrs: Learning rates swept.
        weight_decays: Weight decays swept (the sweep is their product with ``lrs``).
        epochs: Training epochs.
        warmup_epochs: Linear warm-up epochs before cosine decay to 0.
        batch_size: Videos per step.
        drop_last: Drop the last incomplete batch of each epoch.
        holdout_fraction: Part of train held out to choose the setting (0: no sweep
            selection possible, so exactly one setting is required).
        standardize: Batch-normalise features (no affine parameters) before the head.
        steps: Optimiser-step budget, rounded up to whole epochs; 0 uses ``epochs``. The
            warm-up keeps its share ``warmup_epochs / epochs`` of the budget.
        refit: After choosing the setting on the held-out part, train it again on every
            training row and score val with that model.
    """

    name: str
    optimizer: str
    lrs: tuple[float, ...]
    weight_decays: tuple[float, ...] = (0.0,)
    epochs: int = 150
    warmup_epochs: int = 10
    batch_size: int = 1024
    drop_last: bool = False
    holdout_fraction: float = 0.1
    standardize: bool = False
    steps: int = 0
    refit: bool = False

    def __post_init__(self) -> None:
        if not self.lrs or not self.weight_decays:
            raise ValueError("ProbeProtocol needs at least one lr and one weight decay")
        if not 0.0 <= self.holdout_fraction < 1.0:
            raise ValueError(f"holdout_fraction {self.holdout_fraction}, expected in [0, 1)")
        if self.holdout_fraction == 0.0 and len(self.settings) > 1:
            raise ValueError("a sweep of several settings needs holdout_fraction > 0")
        if self.warmup_epochs > self.epochs:
            raise ValueError(f"warmup_epochs {self.warmup_epochs} > epochs {self.epochs}")
        if self.steps < 0:
            raise ValueError(f"steps {self.steps}, expected >= 0 (0 uses epochs)")

    @property
    def settings(self) -> list[tuple[float, float]]:
        """All (lr, weight decay) pairs, in sweep order."""
        return list(itertools.product(self.lrs, self.weight_decays))

    def schedule(self, n: int) -> tuple[int, int]:
        """(epochs, warm-up epochs) for ``n`` training rows, resolving a ``steps`` budget.

        Args:
            n: Training rows the probe is fitted on.
        """
        if not self.steps:
            return self.epochs, self.warmup_epochs
        batch = min(self.batch_size, n)
        per_epoch = max(n // batch if self.drop_last else math.ceil(n / batch), 1)
        epochs = math.ceil(self.steps / per_epoch)
        return epochs, min(epochs, round(epochs * self.warmup_epochs / self.epochs))


def standardizer(dim: int, enabled: bool) -> nn.Module:
    """Feature standardisation before a probe head: ``BatchNorm1d`` without affine, or identity.

    Training batches are normalised by their own statistics; at evaluation the running
    statistics are used. ``momentum=None`` makes those the plain average over all training
    batches, so a short probe run does not lean on its last few batches.
    """
    if not enabled:
        return nn.Identity()
    return nn.BatchNorm1d(dim, affine=False, eps=1e-6, momentum=None)


def paper_protocol(dataset: str, lr_multipliers: tuple[float, ...] = (1.0,)) -> ProbeProtocol:
    """The paper's Table 4 linear-probe recipe for ``dataset`` (K400, MiT, SSv2, DV48, EK, IN1K).

    Args:
        dataset: Key of :data:`PAPER_LP`.
        lr_multipliers: Sweep the Table 4 rate times these factors.
    """
    if dataset not in PAPER_LP:
        raise ValueError(f"dataset {dataset!r}, expected one of {sorted(PAPER_LP)}")
    epochs, lr = PAPER_LP[dataset]
    lrs = tuple(lr * m for m in lr_multipliers)
    return ProbeProtocol("paper", "sgd", lrs, (0.0,), epochs, 10, 1024)


def release_protocol(lrs: tuple[float, ...] = (1e-3,)) -> ProbeProtocol:
    """The official repository's offline probe: Adam 1e-3, 150 epochs, batch 1024, drop_last."""
    return ProbeProtocol("release", "adam", lrs, (0.0,), 150, 10, 1024, drop_last=True)


@dataclasses.dataclass
class ProbeResult:
    """Outcome of a probe sweep.

    Attributes:
        top1: Val top-1 (percent) of the chosen setting.
        top5: Val top-5 (percent) of the chosen setting.
        lr: Chosen learning rate.
        weight_decay: Chosen weight decay.
        holdout_top1: Held-out top-1 of every setting, in ``protocol.settings`` order.
        seconds: Wall time of training and evaluation.
        fit_rows: Training videos the scored model was fitted on (all of them after a
            refit; 0 where not recorded).
    """

    top1: float
    top5: float
    lr: float
    weight_decay: float
    holdout_top1: list[float]
    seconds: float
    fit_rows: int = 0


def holdout_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random (fit, holdout) index arrays over ``range(n)``; holdout has ``round(n*fraction)``."""
    order = np.random.default_rng(seed).permutation(n)
    n_hold = round(n * fraction)
    return np.sort(order[n_hold:]), np.sort(order[:n_hold])


def _subset(split: EmbeddingSplit, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
    """Tensors (video, clips, offsets, labels) restricted to videos ``idx``."""
    starts, ends = split.clip_offsets[idx], split.clip_offsets[idx + 1]
    rows = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
    offsets = np.concatenate([[0], np.cumsum(ends - starts)])
    return (
        torch.from_numpy(split.video[idx]),
        torch.from_numpy(split.clips[rows]),
        torch.from_numpy(offsets),
        torch.from_numpy(split.labels[idx]),
    )


def _clip_sampler(clips, offsets, generator):
    counts = (offsets[1:] - offsets[:-1]).float()

    def features(idx: torch.Tensor) -> torch.Tensor:
        draw = (torch.rand(idx.shape[0], generator=generator) * counts[idx]).long()
        return clips[offsets[idx] + draw]

    return features


def batched_logits(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Logits float[R, n, C] of R linear heads (``weight`` [R, D, C], ``bias`` [R, C]) on x [n, D].

    The R heads are laid side by side so one (n, D) x (D, R*C) product serves all of them;
    a broadcast batched product would stream ``x`` R times and run at a fraction of the
    machine's matmul throughput.
    """
    r, d, c = weight.shape
    flat = weight.permute(1, 0, 2).reshape(d, r * c)
    return torch.addmm(bias.reshape(1, r * c), x, flat).view(-1, r, c).permute(1, 0, 2)


def _video_scores(
    weight, bias, video, clips, offsets, clip_mode: bool, norm: nn.Module | None = None
) -> torch.Tensor:
    """Probabilities float[R, n, C]; clip mode averages the softmax over each video's clips."""
    norm = norm if norm is not None else nn.Identity()
    norm.eval()
    with torch.no_grad():
        if not clip_mode:
            return F.softmax(batched_logits(norm(video), weight, bias), dim=-1)
        probs = F.softmax(batched_logits(norm(clips), weight, bias), dim=-1)
        counts = offsets[1:] - offsets[:-1]
        owner = torch.repeat_interleave(torch.arange(counts.shape[0]), counts)
        sums = torch.zeros(weight.shape[0], counts.shape[0], weight.shape[2])
        sums.index_add_(1, owner, probs)
        return sums / counts[None, :, None]


def select_setting(holdout_probs: torch.Tensor, labels: np.ndarray) -> tuple[int, list[float]]:
    """Index of the setting with the best held-out top-1 (first on ties) and all top-1s.

    Args:
        holdout_probs: float[R, n, C].
        labels: int[n].
    """
    accs = [topk_accuracy(p.numpy(), labels, 1) for p in holdout_probs]
    return int(np.argmax(accs)), accs


def _train_heads(
    train: EmbeddingSplit,
    idx: np.ndarray,
    num_classes: int,
    protocol: ProbeProtocol,
    settings: list[tuple[float, float]],
    mode: str,
    seed: int,
) -> tuple[torch.Tensor, torch.Tensor, nn.Module]:
    """Train one linear head per setting on videos ``idx``: (weight, bias, standardiser)."""
    video, clips, offsets, labels = _subset(train, idx)
    gen = torch.Generator().manual_seed(seed)
    r, d = len(settings), train.dim
    bound = 1.0 / d**0.5  # nn.Linear's default uniform initialisation range
    # Every setting starts from the same draw, so a sweep equals R separate runs.
    weight = (torch.rand(1, d, num_classes, generator=gen) * 2 - 1) * bound
    bias = (torch.rand(1, num_classes, generator=gen) * 2 - 1) * bound
    weight = weight.repeat(r, 1, 1).requires_grad_()
    bias = bias.repeat(r, 1).requires_grad_()
    feats = _clip_sampler(clips, offsets, gen) if mode == "clip" else (lambda i: video[i])
    # The standardiser has no parameters, so one serves every setting of the sweep.
    norm = standardizer(d, protocol.standardize).train()
    optim = BatchedOptimizer(
        [weight, bias],
        torch.tensor([s[0] for s in settings]),
        torch.tensor([s[1] for s in settings]),
        protocol.optimizer,
    )
    epochs, warmup = protocol.schedule(len(idx))
    fit_sweep(
        [weight, bias],
        lambda i: batched_logits(norm(feats(i)), weight, bias),
        labels,
        optim,
        epochs,
        protocol.batch_size,
        warmup,
        gen,
        protocol.drop_last,
    )
    return weight.detach(), bias.detach(), norm


def linear_probe(
    train: EmbeddingSplit,
    val: EmbeddingSplit,
    num_classes: int,
    protocol: ProbeProtocol,
    mode: str = "video",
    seed: int = 0,
) -> ProbeResult:
    """Train a linear probe sweep on ``train``, choose on a held-out part, score on ``val``.

    Args:
        train: Training embeddings; ``mode="video"`` uses ``train.video``, ``"clip"`` the clips.
        val: Validation embeddings, scored once with the chosen setting.
        num_classes: C.
        protocol: Recipe and sweep (``refit`` retrains the chosen setting on all of train).
        mode: ``"video"`` or ``"clip"``.
        seed: Seeds the held-out split, initialisation, shuffling and clip draws.

    Returns:
        A :class:`ProbeResult`.
    """
    if mode not in ("video", "clip"):
        raise ValueError(f"mode {mode!r}, expected 'video' or 'clip'")
    start = time.perf_counter()
    fit_idx, hold_idx = holdout_split(train.num_videos, protocol.holdout_fraction, seed)
    settings = protocol.settings
    weight, bias, norm = _train_heads(train, fit_idx, num_classes, protocol, settings, mode, seed)
    best, accs = 0, [float("nan")]
    if len(hold_idx):
        hv, hc, ho, _ = _subset(train, hold_idx)
        hold_probs = _video_scores(weight, bias, hv, hc, ho, mode == "clip", norm)
        best, accs = select_setting(hold_probs, train.labels[hold_idx])
    weight, bias, fit_rows = weight[best : best + 1], bias[best : best + 1], len(fit_idx)
    if protocol.refit and len(hold_idx):
        all_idx = np.arange(train.num_videos)
        weight, bias, norm = _train_heads(
            train, all_idx, num_classes, protocol, [settings[best]], mode, seed
        )
        fit_rows = len(all_idx)
    vv, vc, vo, _ = _subset(val, np.arange(val.num_videos))
    probs = _video_scores(weight, bias, vv, vc, vo, mode == "clip", norm)
    metrics = top1_top5(probs[0].numpy(), val.labels)
    lr, wd = settings[best]
    seconds = time.perf_counter() - start
    return ProbeResult(metrics["top1"], metrics["top5"], lr, wd, accs, seconds, fit_rows)
