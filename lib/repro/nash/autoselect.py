"""Learned decoder-layer selection (the release's ``run_AUTO.sh``: ``auto_select``).

Instead of fixing which k of the L decoder blocks survive (uniform, low or high), the
release gives the decoder *coarse* hard-concrete masks, one per sublayer, and a second
Lagrangian target ``1 - k / L`` for the decoder, ramped like the encoder's, with the same
multipliers (``L0Module.lagrangian_regularization``, ``auto_select`` branch). The encoder
keeps its fine-grained head and FFN-dimension masks.

Here one gate per decoder *block* multiplies the outputs of its self-attention,
cross-attention and FFN, so a closed gate turns the whole block into the identity (its
residual branches add zero). After pruning we keep the k blocks with the largest
log-alphas, so the learned model has exactly the depth of the uniform one and the
ablation compares selections at equal size (the release keeps whichever layer gates
its deterministic rule leaves open).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import T5Config

from repro.nash import hardconcrete as hc
from repro.nash.masks import HEAD_INIT_MEAN


class BlockGates(nn.Module):
    """One hard-concrete gate per decoder block.

    Args:
        config: The full model's config (``num_decoder_layers`` blocks).
        seed: Seed of the log-alpha initialisation noise.
    """

    def __init__(self, config: T5Config, seed: int = 0) -> None:
        super().__init__()
        self.config = config
        gen = torch.Generator().manual_seed(int(seed))
        # The release starts layer gates near open, as it does heads.
        shape = (config.num_decoder_layers,)
        self.log_alpha = nn.Parameter(hc.init_log_alpha(shape, HEAD_INIT_MEAN, generator=gen))

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """``float[L]`` training gates in [0, 1] (differentiable)."""
        return hc.sample_z(self.log_alpha, generator)

    def expected_sparsity(self) -> torch.Tensor:
        """Expected fraction of decoder blocks removed (every block costs the same)."""
        return 1.0 - hc.prob_nonzero(self.log_alpha).mean()

    def keep(self, k: int) -> list[int]:
        """The k blocks with the largest log-alphas, in increasing order."""
        if not 1 <= k <= self.log_alpha.numel():
            raise ValueError(f"k={k} must be in [1, {self.log_alpha.numel()}]")
        top = torch.topk(self.log_alpha.detach().cpu(), k).indices
        return sorted(int(i) for i in top)

    def constrain_(self, low: float = -4.60517, high: float = 4.60517) -> None:
        """Clip the log-alphas to [log 1e-2, log 1e2], as the release does after each step."""
        with torch.no_grad():
            self.log_alpha.clamp_(low, high)


def block_masks(z: torch.Tensor, config: T5Config) -> dict[str, torch.Tensor]:
    """Decoder sublayer masks (``dec.self``, ``dec.cross``, ``dec.ffn``) from block gates ``z``.

    Args:
        z: ``float[L]`` one gate per decoder block.

    Returns:
        Group -> ``float[L, width]`` masks for :func:`repro.nash.masks.apply_masks`: every
        unit of block l carries ``z[l]``.
    """
    heads = z[:, None].expand(-1, config.num_heads)
    return {"dec.self": heads, "dec.cross": heads, "dec.ffn": z[:, None].expand(-1, config.d_ff)}


def decoder_target(k: int, num_layers: int) -> float:
    """The release's decoder target for k kept blocks: ``1 - k / L``."""
    if not 1 <= k <= num_layers:
        raise ValueError(f"k={k} must be in [1, {num_layers}]")
    return 1.0 - k / num_layers
