"""A flatness proxy: how much the dev metric drops when the weights are perturbed.

For relative noise level ``sigma`` every weight tensor ``W`` gets ``W + sigma * |W| * eps`` with
``eps ~ N(0, 1)`` (multiplicative, so all layers are perturbed on their own scale); the dev
selection metric is averaged over ``draws`` perturbations. A flatter minimum loses less.
The noise is drawn on the CPU from a seeded generator and moved to the weight's device.
This is a proxy for the paper's noise-robustness analysis, not its loss-surface plots.
"""

from __future__ import annotations

import copy

import pandas as pd
import torch

from repro.crild.models import DistillBert
from repro.crild.train import Encoded, evaluate


def weight_noise_curve(
    model: DistillBert, dev: Encoded, task: str, sigmas: list[float], draws: int, seed: int
) -> pd.DataFrame:
    """Dev selection metric under multiplicative Gaussian weight noise.

    Args:
        model: trained model (left unchanged).
        dev: evaluation split.
        task: metric key.
        sigmas: relative noise levels (0.0 gives the clean value).
        draws: perturbations per level.
        seed: seed of a local ``torch.Generator``.

    Returns:
        Frame with ``sigma, draw, select``.
    """
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for sigma in sigmas:
        for d in range(draws if sigma > 0 else 1):
            noisy = copy.deepcopy(model)
            with torch.no_grad():
                for p in noisy.parameters():
                    p.add_(sigma * p.abs() * torch.randn(p.shape, generator=gen).to(p.device))
            rows.append({"sigma": sigma, "draw": d, "select": evaluate(noisy, dev, task)["select"]})
    return pd.DataFrame(rows)
