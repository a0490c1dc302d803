"""Attentive probing (paper Table 5): Table 4's recipe and the clip batches it reads.

The probe itself is :func:`repro.twlv.pooler.pooler_probe` (a full-width cross-attention
pooler in the V-JEPA style). This module holds what every attentive probe shares: Table 4's
recipe (AdamW, lr 1e-3, weight decay 1e-5, batch 256, no warm-up, cosine to 0, per-dataset
epochs: K400/MiT/SSv2 20, DV48/EK 50, IN-1K 20) and the padding of a video's clips into
one batch with a mask.
"""

from __future__ import annotations

import numpy as np
import torch

from repro.twlv.io import EmbeddingSplit
from repro.twlv.linear import ProbeProtocol

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
