"""Lagrangian sparsity controller with a linearly ramped target (CoFi / NASH).

The penalty added to the task loss is

    L_lag = lambda_1 (s_hat - t) + lambda_2 (s_hat - t)^2,

where s_hat is the expected sparsity under the mask distributions and
t = target * min(1, step / warmup_steps). Mask log-alphas *minimise* the total
loss; the multipliers lambda *maximise* it (gradient ascent), so a persistent gap
between s_hat and t grows the pressure that closes it.
"""

from __future__ import annotations

import torch
from torch import nn


def ramped_target(step: int, target: float, warmup_steps: int) -> float:
    """Linear ramp from 0 at step 0 to ``target`` at ``warmup_steps``, constant after.

    Raises:
        ValueError: if ``warmup_steps`` is negative or ``target`` outside [0, 1).
    """
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
    if not 0.0 <= target < 1.0:
        raise ValueError(f"target sparsity must be in [0, 1), got {target}")
    if warmup_steps == 0:
        return float(target)
    return float(target) * min(1.0, step / warmup_steps)


class LagrangianController(nn.Module):
    """Holds lambda_1 and lambda_2 and evaluates the penalty."""

    def __init__(self, device: torch.device | str | None = None) -> None:
        super().__init__()
        device = torch.device("cpu") if device is None else torch.device(device)
        self.lambda_1 = nn.Parameter(torch.zeros((), device=device))
        self.lambda_2 = nn.Parameter(torch.zeros((), device=device))

    def forward(self, expected_sparsity: torch.Tensor, target: float) -> torch.Tensor:
        """The penalty ``lambda_1 gap + lambda_2 gap^2`` with ``gap = s_hat - target`` (scalar)."""
        gap = expected_sparsity - target
        return self.lambda_1 * gap + self.lambda_2 * gap * gap

    def ascend_(self) -> None:
        """Negate the multipliers' gradients so that a minimising optimiser ascends on them.

        Call after ``backward()`` and before ``optimizer.step()``. (The release
        gets the same effect from a negative learning rate, which current PyTorch
        optimisers reject.)
        """
        for p in (self.lambda_1, self.lambda_2):
            if p.grad is not None:
                p.grad.neg_()
