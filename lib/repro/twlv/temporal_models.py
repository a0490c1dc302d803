"""Small temporal models on frozen window features: segmentation (TAS) and localisation (TAL).

Shapes: features float[B, D, T] (channels first, as 1-D convolutions want), labels
int64[B, T]. Both models are built from the same dilated residual block.

* :class:`MultiStageTCN`: an MS-TCN-style segmenter (Farha & Gall, CVPR 2019): a stack of
  dilated temporal convolutions predicts per-step classes, and later stages refine the
  previous stage's probabilities. The release trains ASFormer, a transformer with the same
  stage-wise refinement and the same loss; a two-stage TCN is enough at this scale.
* :class:`LocalisationHead`: an anchor-free detector in the manner of ActionFormer (Zhang et
  al., ECCV 2022), single scale: at every time step a sigmoid score per action class and the
  distances to the action's start and end.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Weight of the smoothing term and its clamp (MS-TCN's 0.15 and 16, used by the release too).
SMOOTH_WEIGHT = 0.15
SMOOTH_CLAMP = 16.0


class DilatedResidual(nn.Module):
    """``x + conv1x1(dropout(relu(conv3_dilated(x))))`` on float[B, C, T]; length preserved."""

    def __init__(self, channels: int, dilation: int, dropout: float = 0.2) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(self.dropout(F.relu(self.conv(x))))


class Stage(nn.Module):
    """1x1 in, ``layers`` dilated residual blocks (dilation 1, 2, 4, ...), 1x1 out."""

    def __init__(self, in_dim: int, channels: int, out_dim: int, layers: int) -> None:
        super().__init__()
        self.inp = nn.Conv1d(in_dim, channels, 1)
        self.blocks = nn.Sequential(*[DilatedResidual(channels, 2**i) for i in range(layers)])
        self.out = nn.Conv1d(channels, out_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(self.inp(x)))


class MultiStageTCN(nn.Module):
    """Segmenter: float[B, D, T] -> logits float[stages, B, C, T] (the last stage predicts)."""

    def __init__(self, in_dim: int, channels: int, n_classes: int, layers: int, stages: int):
        super().__init__()
        self.stages = nn.ModuleList(
            [Stage(in_dim, channels, n_classes, layers)]
            + [Stage(n_classes, channels, n_classes, layers) for _ in range(stages - 1)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [self.stages[0](x)]
        for stage in self.stages[1:]:
            outputs.append(stage(F.softmax(outputs[-1], dim=1)))
        return torch.stack(outputs)


def segmentation_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy plus MS-TCN's truncated smoothing loss, summed over stages.

    Args:
        logits: float[stages, B, C, T].
        labels: int64[B, T].
    """
    total = logits.new_zeros(())
    for out in logits:
        total = total + F.cross_entropy(out, labels)
        logp = F.log_softmax(out, dim=1)
        # Penalise jumps of the log-probabilities between neighbouring steps, truncated so
        # that true boundaries are not punished without limit.
        jump = (logp[:, :, 1:] - logp[:, :, :-1].detach()) ** 2
        total = total + SMOOTH_WEIGHT * jump.clamp(max=SMOOTH_CLAMP).mean()
    return total


class LocalisationHead(nn.Module):
    """Detector: float[B, D, T] -> (class logits float[B, K, T], distances float[B, 2, T]).

    ``K`` counts action classes only (background is "no class fires"); distances are to the
    start and the end of the action, in steps, measured from the step's centre.
    """

    def __init__(self, in_dim: int, channels: int, n_actions: int, layers: int) -> None:
        super().__init__()
        self.inp = nn.Conv1d(in_dim, channels, 1)
        self.blocks = nn.Sequential(*[DilatedResidual(channels, 2**i, 0.1) for i in range(layers)])
        self.cls = nn.Conv1d(channels, n_actions, 3, padding=1)
        self.reg = nn.Conv1d(channels, 2, 3, padding=1)
        # Start with a low prior probability per class, as focal-loss detectors do.
        nn.init.constant_(self.cls.bias, -4.0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.blocks(self.inp(x))
        return self.cls(h), F.softplus(self.reg(h))


def localisation_targets(labels: torch.Tensor, n_actions: int) -> dict[str, torch.Tensor]:
    """Per-step targets from per-step labels int64[B, T] (0 = background, 1..K actions).

    Every step inside an action is positive for its class; its regression target is the
    distance from the step's centre ``t + 0.5`` to the action's start and end.

    Returns:
        ``cls`` float[B, K, T] one-hot, ``dist`` float[B, 2, T] (0 at background), ``pos``
        bool[B, T].
    """
    b, t = labels.shape
    pos = labels > 0
    cls = F.one_hot(labels, n_actions + 1)[..., 1:].permute(0, 2, 1).float()
    change = torch.ones(b, t, dtype=torch.bool)
    change[:, 1:] = labels[:, 1:] != labels[:, :-1]
    steps = torch.arange(t).expand(b, t)
    # Start of the run each step belongs to: the last change at or before it.
    start = torch.cummax(torch.where(change, steps, torch.zeros_like(steps)), dim=1).values
    end_change = torch.ones(b, t, dtype=torch.bool)
    end_change[:, :-1] = labels[:, 1:] != labels[:, :-1]
    big = torch.full_like(steps, t)
    rev = torch.where(end_change, steps + 1, big).flip(1)
    end = torch.cummin(rev, dim=1).values.flip(1)
    centre = steps.float() + 0.5
    dist = torch.stack([centre - start, end - centre], dim=1) * pos[:, None]
    return {"cls": cls, "dist": dist, "pos": pos}


def sigmoid_focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0):
    """Sum of the focal loss (Lin et al. 2017, alpha 0.25) over all elements."""
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    alpha = 0.25 * target + 0.75 * (1 - target)
    return (alpha * ce * (1 - p_t) ** gamma).sum()


def diou_loss_1d(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sum of 1-D DIoU losses for distances float[N, 2] (to start, to end) from a shared centre."""
    inter = torch.minimum(pred, target).sum(1)
    union = torch.maximum(pred, target).sum(1)
    iou = inter / union.clamp(min=1e-6)
    # Normalised squared distance of the two centres over the enclosing length.
    gap = ((pred[:, 1] - pred[:, 0]) - (target[:, 1] - target[:, 0])) / 2
    return (1 - iou + gap**2 / union.clamp(min=1e-6) ** 2).sum()


def localisation_loss(
    cls_logits: torch.Tensor, dist: torch.Tensor, targets: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Focal classification loss + DIoU regression on positives, both per positive step."""
    pos = targets["pos"]
    norm = max(1.0, float(pos.sum()))
    cls = sigmoid_focal_loss(cls_logits, targets["cls"])
    pred = dist.permute(0, 2, 1)[pos]
    true = targets["dist"].permute(0, 2, 1)[pos]
    reg = diou_loss_1d(pred, true) if len(pred) else cls_logits.new_zeros(())
    return (cls + reg) / norm
