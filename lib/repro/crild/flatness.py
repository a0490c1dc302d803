"""A flatness proxy: how much the dev metric drops when the weights are perturbed.

For relative noise level ``sigma`` every weight tensor ``W`` gets ``W + sigma * |W| * eps`` with
``eps ~ N(0, 1)`` (multiplicative, so all layers are perturbed on their own scale); the dev
selection metric is averaged over ``draws`` perturbations. A flatter minimum loses less.
The noise is drawn on the CPU from a seeded generator and moved to the weight's device.
This is a proxy for the paper's noise-robustness analysis, not its loss-surface plots.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

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


def run_grid_with_flatness(
    bundles: dict,
    methods: Sequence[str],
    seeds: Sequence[int],
    cfg: Any,
    flat_methods: Sequence[str] = ("TinyBERT", "L-ILD"),
    setting: str = "standard",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`repro.crild.runner.run_grid`, plus the weight-noise curve of some students.

    Each student of ``flat_methods`` is scored under ``cfg.noise_sigmas`` (``cfg.noise_draws``
    draws each) right after it is trained, so no more than one trained model is held at once.

    Returns:
        ``(long run table, weight-noise table with task, method, seed, sigma, draw, select)``.
    """
    from repro.crild.runner import result_rows, run_method

    rows, flats = [], []
    for task, bundle in bundles.items():
        for method in methods:
            for seed in seeds:
                keep = method in flat_methods
                run = run_method(bundle, method, cfg, seed, keep_model=keep)
                rows += result_rows(setting, task, run)
                if keep:
                    curve = weight_noise_curve(
                        run.model, bundle.dev, task, list(cfg.noise_sigmas), cfg.noise_draws, seed
                    )
                    flats.append(curve.assign(task=task, method=run.method, seed=seed))
    flat = pd.concat(flats, ignore_index=True) if flats else pd.DataFrame()
    return pd.DataFrame(rows), flat
