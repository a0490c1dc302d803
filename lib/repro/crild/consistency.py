"""Consistency regularisation (the "CR" of CR-ILD).

On a mixed input ``x~ = mix(x, x_rev, lam)`` the student's last-layer attention and
hidden state are pulled towards targets computed by the student itself on the
*clean* inputs without gradient (the release's optional EMA target, ``--use_ema``, is not
used by its CR-ILD script and is not implemented here):

    w_ic * (epoch / E) * [lam * D(S(x~), S_bar(x)) + (1 - lam) * D(S(x~), S_bar(x)[rev])]

``epoch`` is 0-based, so the weight is zero during the first epoch (as released). ``D`` is
:func:`repro.crild.losses.attention_kl` for attention (masked with the clean input's
mask) and :func:`repro.crild.losses.hidden_mse` for hidden states.
"""

from __future__ import annotations

import torch

from repro.crild.losses import attention_kl, hidden_mse


def ramp_weight(weight: float, epoch: int, num_epochs: int) -> float:
    """``weight * epoch / num_epochs`` (0-based ``epoch``)."""
    if num_epochs < 1 or not 0 <= epoch < num_epochs:
        raise ValueError(
            f"epoch={epoch}, num_epochs={num_epochs}: expected 0 <= epoch < num_epochs"
        )
    return weight * epoch / num_epochs


def consistency_term(
    mixed_scores: torch.Tensor,
    mixed_hidden: torch.Tensor,
    clean_scores: torch.Tensor,
    clean_hidden: torch.Tensor,
    mask: torch.Tensor,
    lam: float,
    use_attention: bool = True,
    use_hidden: bool = True,
) -> torch.Tensor:
    """Unweighted consistency loss between mixed-input and clean-input student outputs.

    Args:
        mixed_scores: ``float[B, h, T, T]`` last-layer scores on the mixed input.
        mixed_hidden: ``float[B, T, H]`` last-layer hidden state on the mixed input.
        clean_scores, clean_hidden: the same on the clean input (targets, detached here).
        mask: ``int[B, T]`` clean-input mask.
        lam: mixing weight of the mixed input.

    Returns:
        ``lam * D(mixed, clean) + (1 - lam) * D(mixed, clean[rev])`` summed over the
        enabled terms.
    """
    total = mixed_hidden.new_zeros(())
    parts = [(lam, clean_scores, clean_hidden, mask)]
    parts.append((1.0 - lam, clean_scores.flip(0), clean_hidden.flip(0), mask.flip(0)))
    for w, sc, hd, mk in parts:
        if use_attention:
            total = total + w * attention_kl(mixed_scores, sc.detach(), mk)
        if use_hidden:
            total = total + w * hidden_mse(mixed_hidden, hd.detach())
    return total
