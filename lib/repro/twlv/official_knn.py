"""The release's kNN (``knn/main.py``), reproduced top-1 for top-1 from in-memory splits.

Order of operations, as in the release:

1. ``torch.manual_seed(12)``; the memory bank is the training split read through
   ``DataLoader(batch_size=1024, shuffle=True, drop_last=True)``: one permutation of the
   ``os.listdir`` order (:func:`repro.twlv.official.draw_epoch_permutation`), of which the
   last ``N mod 1024`` videos are left out. In ``clip`` mode every clip of a kept video
   enters the bank, each L2-normalised.
2. Validation videos, in ``os.listdir`` order, are queried in batches of 32 (``video``) or
   one video's clips at a time (``clip``): cosine similarity, the 200 most similar bank
   items, votes ``exp(sim / 0.1)`` per class summed over the neighbours (and, in clip mode,
   over the video's clips), and the first class of a descending ``argsort``.

The similarity matmuls keep the release's row counts where they can change the result: a
BLAS may pick another kernel for a handful of rows (a clip set, or the last, short batch),
whose sums round differently. Full 32-row batches are stacked into 1,024-row matmuls, which
give the same rows as 32-row ones on the BLAS we test with
(``tests/twlv/test_official_protocol.py`` compares with the release's printed top-1).
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from repro.twlv.official import RELEASE, OfficialProtocol, draw_epoch_permutation
from repro.twlv.splits import EmbeddingFormatError, EmbeddingSplit

#: Query rows per matmul: a multiple of the release's batch of 32.
_STACK = 32


def official_bank_videos(n: int, protocol: OfficialProtocol) -> torch.Tensor:
    """Indices (into the ``os.listdir`` order) of the training videos in the release's bank."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(protocol.knn_seed)
        _, perm = draw_epoch_permutation(n)
    return perm[: (n // protocol.knn_bank_batch) * protocol.knn_bank_batch]


def _votes(sim: torch.Tensor, bank_labels: torch.Tensor, classes: int, k: int, t: float):
    """Per-row class scores of ``knn_predict(return_score=True)``, same operations."""
    weight, index = sim.topk(k=k, dim=-1)
    labels = torch.gather(bank_labels.expand(sim.size(0), -1), dim=-1, index=index)
    weight = (weight / t).exp()
    one_hot = torch.zeros(sim.size(0) * k, classes)
    one_hot = one_hot.scatter(dim=-1, index=labels.view(-1, 1), value=1.0)
    return torch.sum(one_hot.view(sim.size(0), -1, classes) * weight.unsqueeze(dim=-1), dim=1)


def _first_class(scores: torch.Tensor) -> torch.Tensor:
    return scores.argsort(dim=-1, descending=True)[:, 0]


def _video_predictions(val: EmbeddingSplit, bank_t, bank_labels, classes, p) -> torch.Tensor:
    queries = torch.from_numpy(val.video)
    n, batch = queries.shape[0], p.knn_query_batch
    full = (n // batch) * batch
    preds = []
    for start in range(0, full, batch * _STACK):
        stop = min(start + batch * _STACK, full)
        sim = torch.mm(F.normalize(queries[start:stop], dim=1), bank_t)
        for j in range(0, stop - start, batch):
            scores = _votes(sim[j : j + batch], bank_labels, classes, p.knn_k, p.knn_temperature)
            preds.append(_first_class(scores))
    if full < n:  # the release's last, short batch, with its own shape
        sim = torch.mm(F.normalize(queries[full:], dim=1), bank_t)
        preds.append(_first_class(_votes(sim, bank_labels, classes, p.knn_k, p.knn_temperature)))
    return torch.cat(preds)


def _clip_predictions(val: EmbeddingSplit, bank_t, bank_labels, classes, p) -> torch.Tensor:
    clips = torch.from_numpy(val.clips)
    preds = []
    for i in range(val.num_videos):
        lo, hi = int(val.clip_offsets[i]), int(val.clip_offsets[i + 1])
        sim = torch.mm(F.normalize(clips[lo:hi], dim=1), bank_t)
        scores = _votes(sim, bank_labels, classes, p.knn_k, p.knn_temperature)
        preds.append(_first_class(scores.sum(dim=0, keepdim=True)))
    return torch.cat(preds)


@torch.no_grad()
def official_knn(
    train: EmbeddingSplit,
    val: EmbeddingSplit,
    num_classes: int,
    embed_type: str,
    protocol: OfficialProtocol = RELEASE,
    source: str = "<splits>",
) -> dict[str, object]:
    """Top-1 of the release's kNN with ``--train_embed_type = --val_embed_type = embed_type``.

    Args:
        train: Training split in ``os.listdir`` order.
        val: Validation split in ``os.listdir`` order.
        num_classes: The release's ``dict_class_num`` entry.
        embed_type: ``video`` (``_v.npy``) or ``clip`` (``_c.npy`` rows).
        protocol: k, temperature, seed and batch sizes.
        source: Folder named in errors.

    Returns:
        ``{"top1", "bank_videos", "left_out", "bank_items", "seconds"}``.
    """
    start = time.perf_counter()
    kept = official_bank_videos(train.num_videos, protocol)
    if kept.numel() == 0:
        raise EmbeddingFormatError(
            f"{source}/train: {train.num_videos} videos, fewer than the release's bank batch "
            f"{protocol.knn_bank_batch}, so its kNN memory bank would be empty"
        )
    labels = torch.from_numpy(train.labels)
    if embed_type == "video":
        bank = F.normalize(torch.from_numpy(train.video)[kept], dim=1)
        bank_labels = labels[kept]
    elif embed_type == "clip":
        idx = kept.numpy()
        rows = np.concatenate([np.arange(train.clip_offsets[i], train.clip_offsets[i + 1])
                               for i in idx])  # fmt: skip
        bank = F.normalize(torch.from_numpy(train.clips[rows]), dim=1)
        bank_labels = torch.from_numpy(
            np.repeat(train.labels[idx], np.diff(train.clip_offsets)[idx])
        )
    else:
        raise ValueError(f"embed_type={embed_type!r}, expected 'video' or 'clip'")
    if bank.shape[0] < protocol.knn_k:
        raise EmbeddingFormatError(
            f"{source}/train: the release's memory bank holds {bank.shape[0]} items, fewer "
            f"than k = {protocol.knn_k}"
        )
    bank_t = bank.t().contiguous()
    predict = _video_predictions if embed_type == "video" else _clip_predictions
    preds = predict(val, bank_t, bank_labels, num_classes, protocol).numpy()
    return {
        "top1": 100.0 * float(np.mean(preds == val.labels)),
        "bank_videos": int(kept.numel()),
        "left_out": int(train.num_videos - kept.numel()),
        "bank_items": int(bank.shape[0]),
        "seconds": round(time.perf_counter() - start, 3),
    }
