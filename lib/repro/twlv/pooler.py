"""Full-width attentive probe in the V-JEPA style (paper Table 5, recipe of Table 4).

One learnable query token of the embedding width D reads a video's clip embeddings
through a cross-attention block, and a linear classifier reads the result:

    x  = LayerNorm(tokens)                      (optionally batch-standardised first)
    z  = query + Out(MultiHeadAttention(Q(query), K(x), V(x)))
    z  = z + MLP(LayerNorm(z))                   (GELU, hidden width mlp_ratio * D)
    logits = Linear(z)

This is the block shape of the attentive probes used by V-JEPA, from which the paper takes
its probing recipe; the code here is our own. The layer norms carry no affine parameters:
an affine map right before a linear layer with a bias adds nothing the linear layer cannot
express. The attention width is ``heads * ceil(D / heads)``, so any D works.

As in :mod:`repro.twlv.linear`, R (lr, wd) settings train at once: every parameter has a
leading axis R, the clip tokens are projected for all settings with one matrix product,
and the setting is chosen on a held-out part of train (``refit`` trains it again on all
of train).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from repro.twlv.attentive import pad_clips
from repro.twlv.io import EmbeddingSplit
from repro.twlv.linear import (
    ProbeProtocol,
    ProbeResult,
    holdout_split,
    select_setting,
    standardizer,
)
from repro.twlv.metrics import top1_top5
from repro.twlv.optim import BatchedOptimizer, fit_sweep

#: V-JEPA's pooler initialises weights with a normal of this std (and biases at 0).
INIT_STD = 0.02


def init_pooler(
    num_settings: int,
    dim: int,
    num_classes: int,
    num_heads: int,
    mlp_ratio: float,
    seed: int,
) -> dict[str, torch.Tensor]:
    """Parameters of R full-width poolers and classifiers, each with leading axis R.

    Every setting starts from the same draw, so a sweep equals R separate runs.

    Args:
        num_settings: R.
        dim: Embedding width D (the query and the block's width).
        num_classes: C.
        num_heads: Attention heads H; the attention width is ``H * ceil(D / H)``.
        mlp_ratio: MLP hidden width over D.
        seed: Seeds the draw.

    Returns:
        ``query`` (R, D), ``w_q``/``w_k``/``w_v`` (R, D, A), ``w_o`` (R, A, D), ``w_1``
        (R, D, M), ``w_2`` (R, M, D), ``w_c`` (R, D, C) and their biases ``b_*``.
    """
    gen = torch.Generator().manual_seed(seed)
    width = num_heads * math.ceil(dim / num_heads)
    hidden = max(1, round(mlp_ratio * dim))
    shapes = {
        "query": (dim,),
        "w_q": (dim, width),
        "w_k": (dim, width),
        "w_v": (dim, width),
        "w_o": (width, dim),
        "w_1": (dim, hidden),
        "w_2": (hidden, dim),
        "w_c": (dim, num_classes),
    }
    params = {}
    for name, shape in shapes.items():
        draw = torch.randn(*shape, generator=gen).clamp_(-2, 2) * INIT_STD
        params[name] = draw[None].repeat(num_settings, *([1] * len(shape)))
        if name != "query":
            params["b" + name[1:]] = torch.zeros(num_settings, shape[-1])
    params["num_heads"] = torch.tensor(num_heads)
    return params


def trainable(params: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The learnable tensors of :func:`init_pooler`'s dict (with gradients switched on)."""
    return [p.requires_grad_() for k, p in params.items() if k != "num_heads"]


def _shared_projection(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x float[N, D] through R maps ``w`` (R, D, A) at once -> float[R, N, A]."""
    r, d, a = w.shape
    flat = w.permute(1, 0, 2).reshape(d, r * a)
    return torch.addmm(b.reshape(1, r * a), x, flat).view(-1, r, a).permute(1, 0, 2)


def pooler_logits(
    params: dict[str, torch.Tensor],
    x: torch.Tensor,
    mask: torch.Tensor,
    norm: nn.Module | None = None,
) -> torch.Tensor:
    """Logits float[R, B, C] of all settings for clips ``x`` float[B, L, D], ``mask`` bool[B, L].

    Args:
        params: From :func:`init_pooler`.
        x: Clip embeddings, padded.
        mask: True where a clip is real (padding is never attended to).
        norm: Optional standardiser applied to every real clip embedding first.
    """
    b, length, d = x.shape
    r, width = params["w_q"].shape[0], params["w_q"].shape[2]
    h = int(params["num_heads"])
    dh = width // h
    tokens = x.reshape(b * length, d)
    if norm is not None:
        # Statistics over real clips only: padding rows would drag the mean to zero.
        flat_mask = mask.reshape(-1)
        tokens = tokens.clone()
        tokens[flat_mask] = norm(tokens[flat_mask])
    tokens = F.layer_norm(tokens, (d,))
    keys = _shared_projection(tokens, params["w_k"], params["b_k"]).view(r, b, length, h, dh)
    values = _shared_projection(tokens, params["w_v"], params["b_v"]).view(r, b, length, h, dh)
    query = params["query"]
    q = (torch.bmm(query[:, None], params["w_q"])[:, 0] + params["b_q"]).view(r, h, dh)
    att = torch.einsum("rblhd,rhd->rbhl", keys, q) / dh**0.5
    att = att.masked_fill(~mask[None, :, None, :], float("-inf")).softmax(dim=-1)
    pooled = torch.einsum("rbhl,rblhd->rbhd", att, values).reshape(r, b, width)
    z = query[:, None] + torch.bmm(pooled, params["w_o"]) + params["b_o"][:, None]
    hidden = F.gelu(torch.bmm(F.layer_norm(z, (d,)), params["w_1"]) + params["b_1"][:, None])
    z = z + torch.bmm(hidden, params["w_2"]) + params["b_2"][:, None]
    return torch.bmm(z, params["w_c"]) + params["b_c"][:, None]


def _train(
    train: EmbeddingSplit,
    idx: np.ndarray,
    num_classes: int,
    protocol: ProbeProtocol,
    settings: list[tuple[float, float]],
    num_heads: int,
    mlp_ratio: float,
    seed: int,
) -> tuple[dict[str, torch.Tensor], nn.Module]:
    """Train R poolers on videos ``idx`` of ``train``: (parameters, standardiser)."""
    x, mask = pad_clips(train, idx)
    labels = torch.from_numpy(train.labels[idx])
    params = init_pooler(len(settings), train.dim, num_classes, num_heads, mlp_ratio, seed)
    norm = standardizer(train.dim, protocol.standardize).train()
    optim = BatchedOptimizer(
        trainable(params),
        torch.tensor([s[0] for s in settings]),
        torch.tensor([s[1] for s in settings]),
        protocol.optimizer,
    )
    epochs, warmup = protocol.schedule(len(idx))
    fit_sweep(
        trainable(params),
        lambda i: pooler_logits(params, x[i], mask[i], norm),
        labels,
        optim,
        epochs,
        protocol.batch_size,
        warmup,
        torch.Generator().manual_seed(seed + 1),
        protocol.drop_last,
    )
    norm.eval()
    return {k: v.detach() for k, v in params.items()}, norm


def pooler_probe(
    train: EmbeddingSplit,
    val: EmbeddingSplit,
    num_classes: int,
    protocol: ProbeProtocol,
    num_heads: int = 4,
    mlp_ratio: float = 4.0,
    seed: int = 0,
) -> ProbeResult:
    """Full-width attentive probe: sweep on ``train``, choose on held-out train, score ``val``.

    Args:
        train: Training embeddings (every clip of a video is a token).
        val: Validation embeddings.
        num_classes: C.
        protocol: Recipe and sweep (``standardize``, ``steps`` and ``refit`` apply).
        num_heads: Attention heads.
        mlp_ratio: MLP hidden width over D (V-JEPA: 4).
        seed: Seeds the held-out split, initialisation and shuffling.

    Returns:
        A :class:`ProbeResult`.
    """
    start = time.perf_counter()
    fit_idx, hold_idx = holdout_split(train.num_videos, protocol.holdout_fraction, seed)
    settings = protocol.settings
    args = (num_classes, protocol)
    params, norm = _train(train, fit_idx, *args, settings, num_heads, mlp_ratio, seed)
    best, accs = 0, [float("nan")]
    with torch.no_grad():
        if len(hold_idx):
            hx, hm = pad_clips(train, hold_idx)
            logits = pooler_logits(params, hx, hm, norm)
            best, accs = select_setting(logits, train.labels[hold_idx])
    lr, wd = settings[best]
    fit_rows = len(fit_idx)
    if protocol.refit and len(hold_idx):
        all_idx = np.arange(train.num_videos)
        params, norm = _train(train, all_idx, *args, [settings[best]], num_heads, mlp_ratio, seed)
        best, fit_rows = 0, len(all_idx)
    with torch.no_grad():
        chosen = {k: (v if k == "num_heads" else v[best : best + 1]) for k, v in params.items()}
        vx, vm = pad_clips(val, np.arange(val.num_videos))
        logits = pooler_logits(chosen, vx, vm, norm)[0]
    metrics = top1_top5(logits.numpy(), val.labels)
    seconds = time.perf_counter() - start
    return ProbeResult(metrics["top1"], metrics["top5"], lr, wd, accs, seconds, fit_rows)
