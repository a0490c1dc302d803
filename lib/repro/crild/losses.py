"""Distillation losses as small pure functions.

Conventions follow the CR-ILD release (``losses.py`` of jongwooko/CR-ILD, see
``/work/shared/reference/cr_ild.md`` section 1): attention "KL" is the soft
cross-entropy ``-sum p_T log p_S`` (KL plus the teacher entropy, a constant for the
student), padding is masked by adding ``-10000`` to the key scores, and rows are
averaged over batch, heads and *all* query positions.

Shapes: logits ``float[B, C]``; hidden states ``float[B, T, H]``; attention
scores ``float[B, heads, T, T]``; masks ``int[B, T]`` (1 = token).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

MASK_VALUE = -10000.0


def kd_soft_ce(
    student: torch.Tensor, teacher: torch.Tensor, temperature: float = 2.0
) -> torch.Tensor:
    """Prediction-layer KD: ``-mean_b sum_c softmax(t/T) log softmax(s/T) * T^2``.

    Args:
        student: ``float[B, C]`` student logits.
        teacher: ``float[B, C]`` teacher logits (treated as constants).
        temperature: softening temperature ``T``.

    Returns:
        Scalar loss. Its gradient equals that of ``T^2 * KL(p_T || p_S)``.
    """
    log_ps = F.log_softmax(student / temperature, dim=-1)
    pt = F.softmax(teacher.detach() / temperature, dim=-1)
    return -(pt * log_ps).sum(-1).mean() * temperature**2


def kd_regression(
    student: torch.Tensor, teacher: torch.Tensor, temperature: float = 2.0
) -> torch.Tensor:
    """Regression KD (STS-B): ``MSE(s/T, t/T)`` with no ``T^2`` factor, as released.

    Args:
        student, teacher: ``float[B]`` or ``float[B, 1]`` predictions.
    """
    return F.mse_loss(
        (student / temperature).reshape(-1), (teacher.detach() / temperature).reshape(-1)
    )


def kd_loss(
    student: torch.Tensor, teacher: torch.Tensor, regression: bool, temperature: float = 2.0
) -> torch.Tensor:
    """Dispatches to :func:`kd_regression` or :func:`kd_soft_ce`."""
    if regression:
        return kd_regression(student, teacher, temperature)
    return kd_soft_ce(student, teacher, temperature)


def _masked(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return scores
    return scores + (1.0 - mask[:, None, None, :].to(scores.dtype)) * MASK_VALUE


def attention_kl(
    student_scores: torch.Tensor, teacher_scores: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Soft cross-entropy between attention distributions of one layer.

    Args:
        student_scores: ``float[B, h, T, T]`` pre-softmax scores (no mask applied).
        teacher_scores: ``float[B, h, T, T]``.
        mask: ``int[B, T]`` key mask or ``None`` (no masking, as for Q/K/V relations).

    Returns:
        ``-mean_{b,h,i} sum_j softmax(t)_ij log softmax(s)_ij``.
    """
    log_ps = F.log_softmax(_masked(student_scores, mask), dim=-1)
    pt = F.softmax(_masked(teacher_scores.detach(), mask), dim=-1)
    return -(pt * log_ps).sum(-1).mean()


def relation_scores(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Self-relation ``X_h X_h^T / sqrt(d_head)`` per head (MiniLMv2).

    Args:
        x: ``float[B, T, H]`` queries, keys or values (heads concatenated).
        num_heads: number of heads ``h``; ``H`` must be divisible by it.

    Returns:
        ``float[B, h, T, T]``.
    """
    b, t, d = x.shape
    xh = x.view(b, t, num_heads, d // num_heads).transpose(1, 2)
    return xh @ xh.transpose(-1, -2) / math.sqrt(d // num_heads)


def qkv_relation_loss(
    student_qkv: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    teacher_qkv: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    num_heads: int,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Sum over Q, K, V of :func:`attention_kl` between relation matrices.

    The release passes no mask here (padding included); ``mask=None`` reproduces that.
    """
    total = student_qkv[0].new_zeros(())
    for s, t in zip(student_qkv, teacher_qkv, strict=True):
        total = total + attention_kl(
            relation_scores(s, num_heads), relation_scores(t, num_heads), mask
        )
    return total


def hidden_mse(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Plain MSE between (projected) student and teacher hidden states ``float[B, T, H]``."""
    return F.mse_loss(student, teacher.detach())


def pkd_cls_loss(
    student: torch.Tensor, teacher: torch.Tensor, normalize: bool = True
) -> torch.Tensor:
    """Patient-KD loss on [CLS] vectors: ``MSE(s/|s|, t/|t|)`` (mean over elements).

    Args:
        student, teacher: ``float[B, T, H]`` hidden states (position 0 is used) or
            ``float[B, H]`` [CLS] vectors.
    """
    s = student[:, 0] if student.dim() == 3 else student
    t = teacher.detach()
    t = t[:, 0] if t.dim() == 3 else t
    if normalize:
        s, t = F.normalize(s, dim=-1), F.normalize(t, dim=-1)
    return F.mse_loss(s, t)


def attention_score_mse(
    student_scores: torch.Tensor, teacher_scores: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """MSE between raw attention scores with padded keys set to zero (BERT-EMD's cost)."""
    if mask is not None:
        keep = mask[:, None, None, :].to(student_scores.dtype)
        student_scores, teacher_scores = student_scores * keep, teacher_scores * keep
    return F.mse_loss(student_scores, teacher_scores.detach())
