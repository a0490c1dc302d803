"""Attentive probing (paper Table 5): cross-attention pooling over a video's clip embeddings.

A learnable query attends over the clip embeddings of one video (multi-head, keys and
values are linear maps of the clips), the pooled vector is layer-normalised and fed to a
linear classifier. As in :mod:`repro.twlv.linear`, R (lr, wd) settings are trained at once,
each with its own head, and the setting is chosen on a held-out part of train. Table 4
recipe: AdamW, lr 1e-3, weight decay 1e-5, batch 256, no warm-up, cosine to 0, per-dataset
epochs (K400/MiT/SSv2 20, DV48/EK 50, IN-1K 20).
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from repro.twlv.io import EmbeddingSplit
from repro.twlv.linear import ProbeProtocol, ProbeResult, holdout_split, select_setting
from repro.twlv.metrics import top1_top5
from repro.twlv.optim import BatchedOptimizer, fit_sweep

PAPER_AP_EPOCHS = {"K400": 20, "MiT": 20, "SSv2": 20, "DV48": 50, "EK": 50, "IN1K": 20}


def attentive_protocol(
    dataset: str, lrs: tuple[float, ...] = (1e-3,), weight_decays: tuple[float, ...] = (1e-5,)
) -> ProbeProtocol:
    """Table 4's attentive-probe recipe for ``dataset`` with an optional sweep."""
    if dataset not in PAPER_AP_EPOCHS:
        raise ValueError(f"dataset {dataset!r}, expected one of {sorted(PAPER_AP_EPOCHS)}")
    return ProbeProtocol("attentive", "adamw", lrs, weight_decays, PAPER_AP_EPOCHS[dataset], 0, 256)


def pad_clips(split: EmbeddingSplit, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips of videos ``idx`` padded to the longest: (float32[n, L, D], bool[n, L] valid mask)."""
    counts = split.clip_offsets[idx + 1] - split.clip_offsets[idx]
    length = int(counts.max())
    out = np.zeros((len(idx), length, split.dim), np.float32)
    mask = np.arange(length)[None, :] < counts[:, None]
    for row, (i, c) in enumerate(zip(idx, counts, strict=True)):
        out[row, :c] = split.video_clips(i)
    return torch.from_numpy(out), torch.from_numpy(mask)


def init_heads(
    num_settings: int, dim: int, num_classes: int, num_heads: int, head_dim: int, seed: int
) -> dict[str, torch.Tensor]:
    """Parameters of R attentive heads, each tensor with leading axis R.

    Returns:
        ``query`` (R, H, dh), ``w_k``/``w_v`` (R, D, H*dh), ``w_c`` (R, H*dh, C), ``b_c`` (R, C).
    """
    gen = torch.Generator().manual_seed(seed)
    width = num_heads * head_dim

    def normal(*shape: int, std: float) -> torch.Tensor:
        return (torch.randn(*shape, generator=gen) * std).requires_grad_()

    return {
        "query": normal(num_settings, num_heads, head_dim, std=0.02),
        "w_k": normal(num_settings, dim, width, std=dim**-0.5),
        "w_v": normal(num_settings, dim, width, std=dim**-0.5),
        "w_c": normal(num_settings, width, num_classes, std=width**-0.5),
        "b_c": torch.zeros(num_settings, num_classes, requires_grad=True),
    }


def head_logits(
    params: dict[str, torch.Tensor], x: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Logits float[R, B, C] of all heads for clips ``x`` float[B, L, D], ``mask`` bool[B, L]."""
    r, h, dh = params["query"].shape
    b, length, _ = x.shape
    keys = torch.matmul(x[None], params["w_k"][:, None]).view(r, b, length, h, dh)
    values = torch.matmul(x[None], params["w_v"][:, None]).view(r, b, length, h, dh)
    att = torch.einsum("rblhd,rhd->rbhl", keys, params["query"]) / dh**0.5
    att = att.masked_fill(~mask[None, :, None, :], float("-inf")).softmax(dim=-1)
    pooled = torch.einsum("rbhl,rblhd->rbhd", att, values).reshape(r, b, h * dh)
    pooled = F.layer_norm(pooled, (h * dh,))
    return torch.matmul(pooled, params["w_c"]) + params["b_c"][:, None]


def attentive_probe(
    train: EmbeddingSplit,
    val: EmbeddingSplit,
    num_classes: int,
    protocol: ProbeProtocol,
    num_heads: int = 4,
    head_dim: int = 16,
    seed: int = 0,
) -> ProbeResult:
    """Train R attentive heads on ``train``'s clips, choose on held-out train, score on ``val``.

    Args:
        train: Training embeddings (all clips of each video are attended over).
        val: Validation embeddings.
        num_classes: C.
        protocol: Recipe and sweep (see :func:`attentive_protocol`).
        num_heads: Attention heads H.
        head_dim: Width per head dh.
        seed: Seeds the held-out split, initialisation and shuffling.

    Returns:
        A :class:`ProbeResult`.
    """
    start = time.perf_counter()
    fit_idx, hold_idx = holdout_split(train.num_videos, protocol.holdout_fraction, seed)
    x, mask = pad_clips(train, fit_idx)
    labels = torch.from_numpy(train.labels[fit_idx])
    settings = protocol.settings
    params = init_heads(len(settings), train.dim, num_classes, num_heads, head_dim, seed)
    optim = BatchedOptimizer(
        list(params.values()),
        torch.tensor([s[0] for s in settings]),
        torch.tensor([s[1] for s in settings]),
        protocol.optimizer,
    )
    fit_sweep(
        list(params.values()),
        lambda idx: head_logits(params, x[idx], mask[idx]),
        labels,
        optim,
        protocol.epochs,
        protocol.batch_size,
        protocol.warmup_epochs,
        torch.Generator().manual_seed(seed + 1),
        protocol.drop_last,
    )
    best, accs = 0, [float("nan")]
    with torch.no_grad():
        if len(hold_idx):
            hx, hm = pad_clips(train, hold_idx)
            best, accs = select_setting(head_logits(params, hx, hm), train.labels[hold_idx])
        vx, vm = pad_clips(val, np.arange(val.num_videos))
        chosen = {k: v[best : best + 1] for k, v in params.items()}
        logits = head_logits(chosen, vx, vm)[0]
    metrics = top1_top5(logits.numpy(), val.labels)
    lr, wd = settings[best]
    return ProbeResult(metrics["top1"], metrics["top5"], lr, wd, accs, time.perf_counter() - start)
