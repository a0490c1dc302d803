"""Optimisers and schedules for training R probe settings at once.

Every parameter tensor has a leading axis of size R, one slice per (learning rate,
weight decay) setting; the settings never interact, so one pass over the data trains R
independent probes. Learning rates and weight decays are tensors of shape (R,).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def warmup_cosine(step: int, total_steps: int, warmup_steps: int) -> float:
    """Learning-rate multiplier: linear warm-up from 0 to 1, then cosine decay to 0.

    Args:
        step: Current optimisation step, 0-based.
        total_steps: Total number of steps.
        warmup_steps: Steps of linear warm-up (0 for none).

    Returns:
        A multiplier in [0, 1].
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    decay_steps = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / decay_steps, 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


@dataclass
class BatchedOptimizer:
    """SGD with momentum, Adam (coupled L2) or AdamW (decoupled decay), one lr/wd per setting.

    Attributes:
        params: Tensors of shape (R, ...), ``requires_grad=True``.
        lrs: float[R] base learning rates.
        wds: float[R] weight decays.
        kind: ``"sgd"``, ``"adam"`` or ``"adamw"``.
        momentum: SGD momentum.
        betas: Adam betas.
        eps: Adam epsilon.
    """

    params: Sequence[torch.Tensor]
    lrs: torch.Tensor
    wds: torch.Tensor
    kind: str = "sgd"
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.kind not in ("sgd", "adam", "adamw"):
            raise ValueError(f"optimizer kind {self.kind!r}, expected 'sgd', 'adam' or 'adamw'")
        self.state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in self.params]
        self.t = 0

    def _per_setting(self, values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return values.to(like).view(-1, *([1] * (like.ndim - 1)))

    @torch.no_grad()
    def step(self, scale: float) -> None:
        """Apply one update with learning rates ``lrs * scale``; clears gradients."""
        self.t += 1
        b1, b2 = self.betas
        for p, (m, v) in zip(self.params, self.state, strict=True):
            g = p.grad
            lr = self._per_setting(self.lrs, p) * scale
            wd = self._per_setting(self.wds, p)
            if self.kind != "adamw":
                g = g + wd * p
            if self.kind == "sgd":
                m.mul_(self.momentum).add_(g)
                p.sub_(lr * m)
            else:
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                m_hat = m / (1 - b1**self.t)
                denom = (v / (1 - b2**self.t)).sqrt_().add_(self.eps)
                if self.kind == "adamw":
                    p.mul_(1 - lr * wd)
                p.sub_(lr * m_hat / denom)
            p.grad = None


def fit_sweep(
    params: Sequence[torch.Tensor],
    logits_fn: Callable[[torch.Tensor], torch.Tensor],
    labels: torch.Tensor,
    optimizer: BatchedOptimizer,
    epochs: int,
    batch_size: int,
    warmup_epochs: int,
    generator: torch.Generator,
    drop_last: bool = False,
) -> None:
    """Train all R settings together with cross-entropy, in place.

    Args:
        params: The (R, ...) parameters updated by ``optimizer``.
        logits_fn: Maps int64[B] training indices to logits float[R, B, C].
        labels: int64[n] training labels.
        optimizer: Holds per-setting learning rates and decays.
        epochs: Passes over the training indices.
        batch_size: Rows per step (clipped to n).
        warmup_epochs: Epochs of linear warm-up before cosine decay to 0 (per step).
        generator: Source of the shuffling order.
        drop_last: Skip the last incomplete batch each epoch (the release code does).
    """
    n = labels.shape[0]
    batch_size = min(batch_size, n)
    per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
    total, warmup = epochs * per_epoch, warmup_epochs * per_epoch
    step = 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for b in range(per_epoch):
            idx = order[b * batch_size : (b + 1) * batch_size]
            logits = logits_fn(idx)
            num_settings = logits.shape[0]
            target = labels[idx].repeat(num_settings)
            # Mean over the batch per setting, summed over settings: independent gradients.
            loss = F.cross_entropy(logits.flatten(0, 1), target) * num_settings
            loss.backward()
            optimizer.step(warmup_cosine(step, total, warmup))
            step += 1
