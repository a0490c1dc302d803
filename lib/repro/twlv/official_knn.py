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

A BLAS may pick another kernel for another number of rows, whose sums round differently
(measured here: 2, 3, 5 and 7 rows round differently from a 4,000-row product). We therefore stack
many queries into one product (1,024 videos, or the clips of 256 videos) and keep a video's
prediction only where :mod:`repro.twlv.knn_certify` proves that no float32 rounding could
change it; every other video is recomputed with the release's shapes (its 32-video batch, or
its clips alone). ``tests/twlv/test_official_protocol.py`` compares with the release's
printed top-1, ``tests/twlv/test_knn_certify.py`` with the release's shapes on data full of
ties.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from repro.twlv.knn_certify import certify as certify_votes
from repro.twlv.official import RELEASE, OfficialProtocol, draw_epoch_permutation
from repro.twlv.splits import EmbeddingFormatError, EmbeddingSplit

#: Video mode: query batches of the release (32 videos) that share one certified product.
_STACK = 32
#: Clip mode: videos whose clips share one certified matrix product (2-4 clips each).
_CLIP_GROUP = 256


class Bank(NamedTuple):
    """The memory bank: L2-normalised rows, their transpose (the release's matmul operand,
    contiguous as it holds it) and each row's class."""

    rows: torch.Tensor
    t: torch.Tensor
    labels: torch.Tensor


def make_bank(rows: torch.Tensor, labels: torch.Tensor) -> Bank:
    """Normalise ``rows`` and keep both layouts (the rows feed the certificate's second pass)."""
    rows = F.normalize(rows, dim=1)
    return Bank(rows, rows.t().contiguous(), labels)


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


def _release_video_batch(queries: torch.Tensor, b: int, bank: Bank, classes, p):
    """Predictions for the release's ``b``-th query batch, in its shape (the last is short)."""
    rows = queries[b * p.knn_query_batch : (b + 1) * p.knn_query_batch]
    sim = torch.mm(F.normalize(rows, dim=1), bank.t)
    return _first_class(_votes(sim, bank.labels, classes, p.knn_k, p.knn_temperature))


def video_predictions(
    val: EmbeddingSplit, bank: Bank, classes: int, p: OfficialProtocol, certify: bool = True
) -> tuple[torch.Tensor, int]:
    """Video-mode predictions and how many videos were recomputed with the release's shapes.

    With ``certify``, 1,024 queries share one matrix product and a video keeps its
    prediction where :func:`repro.twlv.knn_certify.certify` certifies it; the release's
    32-query batch holding any other video is recomputed as the release computes it.
    Without, every batch is computed as the release does.
    """
    queries, n, batch = torch.from_numpy(val.video), val.num_videos, p.knn_query_batch
    batches = range(-(-n // batch))
    if not certify:
        exact = [_release_video_batch(queries, b, bank, classes, p) for b in batches]
        return torch.cat(exact), n
    preds = torch.empty(n, dtype=torch.long)
    unsure: list[int] = []
    for start in range(0, n, batch * _STACK):
        stop = min(start + batch * _STACK, n)
        rows = F.normalize(queries[start:stop], dim=1)
        sim = torch.mm(rows, bank.t)
        best, certain = certify_votes(
            rows, sim, bank.rows, torch.arange(stop - start), stop - start, bank.labels, classes,
            p.knn_k, p.knn_temperature,
        )  # fmt: skip
        preds[start:stop] = best
        unsure += (start + torch.nonzero(~certain).flatten()).tolist()
    for b in sorted({i // batch for i in unsure}):
        rows = slice(b * batch, (b + 1) * batch)
        preds[rows] = _release_video_batch(queries, b, bank, classes, p)
    return preds, len(unsure)


def _release_clip_prediction(val: EmbeddingSplit, i: int, bank: Bank, classes, p):
    """Video ``i``'s prediction with the release's shapes: its clips alone against the bank."""
    lo, hi = int(val.clip_offsets[i]), int(val.clip_offsets[i + 1])
    sim = torch.mm(F.normalize(torch.from_numpy(val.clips[lo:hi]), dim=1), bank.t)
    scores = _votes(sim, bank.labels, classes, p.knn_k, p.knn_temperature)
    return _first_class(scores.sum(dim=0, keepdim=True))[0]


def clip_predictions(
    val: EmbeddingSplit, bank: Bank, classes: int, p: OfficialProtocol, certify: bool = True
) -> tuple[torch.Tensor, int]:
    """Clip-mode predictions and how many videos were recomputed with the release's shapes.

    With ``certify``, the clips of :data:`_CLIP_GROUP` videos share one matrix product and
    :func:`repro.twlv.knn_certify.certify` keeps a video's prediction only where no
    summation order could change it; without, every video is computed as the release does.
    """
    n = val.num_videos
    if not certify:
        preds = [_release_clip_prediction(val, i, bank, classes, p) for i in range(n)]
        return torch.stack(preds), n
    clips, offsets = torch.from_numpy(val.clips), val.clip_offsets
    preds = torch.empty(n, dtype=torch.long)
    unsure: list[int] = []
    for first in range(0, n, _CLIP_GROUP):
        last = min(first + _CLIP_GROUP, n)
        lo, hi = int(offsets[first]), int(offsets[last])
        rows = F.normalize(clips[lo:hi], dim=1)
        sim = torch.mm(rows, bank.t)
        group = torch.from_numpy(
            np.repeat(np.arange(last - first), np.diff(offsets[first : last + 1]))
        )
        best, certain = certify_votes(
            rows, sim, bank.rows, group, last - first, bank.labels, classes, p.knn_k,
            p.knn_temperature,
        )  # fmt: skip
        preds[first:last] = best
        unsure += (first + torch.nonzero(~certain).flatten()).tolist()
    for i in unsure:
        preds[i] = _release_clip_prediction(val, i, bank, classes, p)
    return preds, len(unsure)


@torch.no_grad()
def official_knn(
    train: EmbeddingSplit,
    val: EmbeddingSplit,
    num_classes: int,
    embed_type: str,
    protocol: OfficialProtocol = RELEASE,
    source: str = "<splits>",
    certify: bool = True,
) -> dict[str, object]:
    """Top-1 of the release's kNN with ``--train_embed_type = --val_embed_type = embed_type``.

    Args:
        train: Training split in ``os.listdir`` order.
        val: Validation split in ``os.listdir`` order.
        num_classes: The release's ``dict_class_num`` entry.
        embed_type: ``video`` (``_v.npy``) or ``clip`` (``_c.npy`` rows).
        protocol: k, temperature, seed and batch sizes.
        source: Folder named in errors.
        certify: Stack many queries into one product and recompute, with the release's
            shapes, only the videos whose prediction rounding could change (see
            :mod:`repro.twlv.knn_certify`); False computes every query as the release does.

    Returns:
        ``{"top1", "bank_videos", "left_out", "bank_items", "recomputed_videos",
        "seconds"}``; ``recomputed_videos`` counts clip-mode videos not certified.
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
        bank = make_bank(torch.from_numpy(train.video)[kept], labels[kept])
    elif embed_type == "clip":
        idx = kept.numpy()
        rows = np.concatenate([np.arange(train.clip_offsets[i], train.clip_offsets[i + 1])
                               for i in idx])  # fmt: skip
        bank = make_bank(
            torch.from_numpy(train.clips[rows]),
            torch.from_numpy(np.repeat(train.labels[idx], np.diff(train.clip_offsets)[idx])),
        )
    else:
        raise ValueError(f"embed_type={embed_type!r}, expected 'video' or 'clip'")
    if bank.rows.shape[0] < protocol.knn_k:
        raise EmbeddingFormatError(
            f"{source}/train: the release's memory bank holds {bank.rows.shape[0]} items, fewer "
            f"than k = {protocol.knn_k}"
        )
    predict = video_predictions if embed_type == "video" else clip_predictions
    preds, recomputed = predict(val, bank, num_classes, protocol, certify)
    return {
        "top1": 100.0 * float(np.mean(preds.numpy() == val.labels)),
        "bank_videos": int(kept.numel()),
        "left_out": int(train.num_videos - kept.numel()),
        "bank_items": int(bank.rows.shape[0]),
        "recomputed_videos": recomputed,
        "seconds": round(time.perf_counter() - start, 3),
    }
