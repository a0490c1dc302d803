"""A clean measure of how far the student's intermediate layers are from the teacher's.

The training objective is a poor yardstick for overfitting curves: the release's attention
"KL" is a cross-entropy (KL plus the teacher's entropy, which differs between training and
held-out inputs), its mean runs over padded query rows, and MSE over all positions counts
padding. Comparing training and held-out inputs with it mixes input statistics into the gap.
Here (issue 14):

* attention: ``KL(p_T || p_S) = CE - H(p_T)``, padded keys masked, padded query rows left out
  of the mean;
* hidden states: MSE over non-pad tokens only;
* the same layer pairs as the method (``uniform`` or ``last``; embeddings for ``uniform``).

A tracked run (``repro.crild.runner.run_method(track_ild=True)``) logs this measure at step 0
(before stage 1) and after every epoch, and :func:`repro.crild.tables.gap_curves` reports
``gap(epoch) - gap(0)``, so a difference the inputs have before any ILD is not read as
overfitting. The ILD-overfitting probe measures the same quantities per layer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from repro.crild.losses import MASK_VALUE
from repro.crild.mapping import last_map, uniform_map
from repro.crild.methods import Method, ild_objective, mean_over_batches
from repro.crild.models import DistillBert, EncoderOutput
from repro.crild.train import Encoded


def attention_kl_clean(s: torch.Tensor, t: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over batch, heads and *real* query rows of ``KL(softmax(t) || softmax(s))``.

    Args:
        s, t: ``float[B, h, T, T]`` pre-softmax scores.
        mask: ``int[B, T]``, 1 = token.
    """
    add = (1.0 - mask[:, None, None, :].to(s.dtype)) * MASK_VALUE
    log_ps = F.log_softmax(s + add, dim=-1)
    log_pt = F.log_softmax(t + add, dim=-1)
    kl = (log_pt.exp() * (log_pt - log_ps)).sum(-1)  # (B, h, T)
    rows = mask[:, None, :].to(s.dtype).expand_as(kl)
    return (kl * rows).sum() / rows.sum().clamp_min(1.0)


def hidden_mse_clean(s: torch.Tensor, t: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MSE between ``float[B, T, H]`` hidden states over non-pad tokens only."""
    keep = mask[..., None].to(s.dtype)
    return ((s - t) ** 2 * keep).sum() / (keep.sum() * s.shape[-1]).clamp_min(1.0)


def clean_distance(
    method: Method, s: EncoderOutput, t: EncoderOutput, mask: torch.Tensor, num_heads: int
) -> torch.Tensor:
    """The clean layer distance for ``method``'s layer pairs.

    Attention + hidden methods (TinyBERT, L-ILD, CR-ILD) get the clean KL and masked MSE;
    other objectives (Q/K/V relations, [CLS], EMD) fall back to their own loss.
    """
    if method.ild != "attn_hidden":
        return ild_objective(method, s, t, mask, num_heads)
    m, n = len(s.scores), len(t.scores)
    pairs = uniform_map(m, n) if method.mapping == "uniform" else last_map(m, n)
    total = sum(
        attention_kl_clean(s.scores[i - 1], t.scores[j - 1], mask)
        + hidden_mse_clean(s.hidden[i], t.hidden[j], mask)
        for i, j in pairs
    )
    if method.mapping == "uniform":
        total = total + hidden_mse_clean(s.hidden[0], t.hidden[0], mask)
    return total


def clean_distance_on(
    method: Method,
    student: DistillBert,
    teacher: DistillBert,
    data: Encoded,
    teacher_out: EncoderOutput | None = None,
    limit: int = 512,
    batch_size: int = 128,
) -> float:
    """Mean :func:`clean_distance` over the first ``limit`` rows of ``data`` (eval mode)."""
    return mean_over_batches(
        clean_distance, method, student, teacher, data, teacher_out, limit, batch_size
    )
