"""Embedding-level mixup, the "supplementary task" of CR-ILD.

ILD is run on inputs that are not the target task's: each batch is mixed with its
own reversal (example ``i`` with example ``B-1-i``) at the embedding-layer output,
``e~ = lam * E(x) + (1 - lam) * E(x_rev)``, with ``lam = max(u, 1 - u)``, ``u ~ Beta(1, 1)``,
so ``lam`` lies in ``[0.5, 1]``. The attention mask is the union of the two masks.
Teacher and student use the same ``lam`` and pairing.
"""

from __future__ import annotations

import torch


def sample_lambda(generator: torch.Generator) -> float:
    """Draws ``lam = max(u, 1 - u)`` with ``u ~ Beta(1, 1) = Uniform(0, 1)``.

    Args:
        generator: the caller's RNG; global RNG state is never touched.
    """
    u = float(torch.rand((), generator=generator))
    return max(u, 1.0 - u)


def reverse_pairing(batch_size: int) -> torch.Tensor:
    """Partner indices ``[B-1, ..., 0]`` (``int64[B]``)."""
    return torch.arange(batch_size - 1, -1, -1)


def mix_embeddings(emb: torch.Tensor, lam: float) -> torch.Tensor:
    """``lam * emb + (1 - lam) * emb[reversed]`` for ``emb`` of shape ``float[B, T, H]``."""
    return lam * emb + (1.0 - lam) * emb.flip(0)


def union_mask(mask: torch.Tensor) -> torch.Tensor:
    """Union of each example's mask with its partner's: ``int[B, T]``."""
    return torch.maximum(mask, mask.flip(0))
