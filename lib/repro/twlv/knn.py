"""Weighted k-nearest-neighbour classification of video embeddings (paper Table 6).

The official ``knn/main.py`` (after the MoCo demo) L2-normalises embeddings, takes the
k = 200 most cosine-similar training items and sums one-hot votes weighted by
``exp(sim / 0.1)``. Three modes (paper Table 6):

* ``uniform``: one embedding per video from the ``uniform/`` variant (``_v.npy``).
* ``video``: the ``multi-clip/`` variant's whole-video embedding ``_v.npy``.
* ``clip``: every training sub-clip (``_c.npy`` rows) is in the memory bank with its
  video's label; a validation video's class scores are the sum of its clips' scores.

Difference from the official code: its memory-bank loader uses ``shuffle=True,
drop_last=True`` with batch 1024, silently leaving out ``N mod 1024`` random training
items. Here every training item is in the bank; results equal the official ones when
``N`` is a multiple of 1024.
"""

from __future__ import annotations

import enum

import numpy as np
import torch
import torch.nn.functional as F

from repro.twlv.io import EmbeddingSplit
from repro.twlv.metrics import top1_top5


class KnnMode(enum.StrEnum):
    """Which embeddings form the memory bank and the queries."""

    UNIFORM = "uniform"
    CLIP = "clip"
    VIDEO = "video"


def knn_scores(
    bank: np.ndarray | torch.Tensor,
    bank_labels: np.ndarray | torch.Tensor,
    queries: np.ndarray | torch.Tensor,
    num_classes: int,
    k: int = 200,
    temperature: float = 0.1,
    chunk_size: int = 2048,
) -> torch.Tensor:
    """Exact weighted kNN class scores, computed in query chunks.

    Memory is bounded by ``chunk_size * len(bank)`` similarities at a time.

    Args:
        bank: float[N, D] training embeddings (normalised here).
        bank_labels: int[N] labels in ``[0, num_classes)``.
        queries: float[M, D] query embeddings (normalised here).
        num_classes: C.
        k: Neighbours per query; clipped to N.
        temperature: Vote weight ``exp(sim / temperature)``.
        chunk_size: Queries per matrix product.

    Returns:
        float32[M, C] summed vote weights.
    """
    bank_t = F.normalize(torch.as_tensor(bank, dtype=torch.float32), dim=1)
    labels_t = torch.as_tensor(bank_labels, dtype=torch.int64)
    query_t = F.normalize(torch.as_tensor(queries, dtype=torch.float32), dim=1)
    k = min(k, bank_t.shape[0])
    out = torch.zeros(query_t.shape[0], num_classes)
    bank_T = bank_t.T  # a transposed view: BLAS reads it without a copy
    # One similarity buffer reused by every chunk: a fresh (chunk, N) allocation per chunk
    # costs page faults comparable to the top-k itself.
    buffer = torch.empty(min(chunk_size, query_t.shape[0]), bank_t.shape[0])
    for start in range(0, query_t.shape[0], chunk_size):
        chunk = query_t[start : start + chunk_size]
        sim = torch.mm(chunk, bank_T, out=buffer[: chunk.shape[0]])  # (chunk, N)
        top_sim, top_idx = sim.topk(k, dim=1, sorted=False)
        weights = (top_sim / temperature).exp_()
        out[start : start + chunk_size].scatter_add_(1, labels_t[top_idx], weights)
    return out


def knn_evaluate(
    train: EmbeddingSplit,
    val: EmbeddingSplit,
    num_classes: int,
    mode: KnnMode | str = KnnMode.VIDEO,
    k: int = 200,
    temperature: float = 0.1,
    chunk_size: int = 2048,
) -> dict[str, float]:
    """Top-1 and top-5 (percent) of weighted kNN in one of the paper's modes.

    For ``uniform`` pass the ``uniform/`` variant's splits; for ``video`` and ``clip`` the
    ``multi-clip/`` variant's.

    Args:
        train: Memory-bank split.
        val: Query split.
        num_classes: C.
        mode: ``uniform``, ``video`` or ``clip``.
        k: Neighbours.
        temperature: Vote temperature.
        chunk_size: Queries per matrix product.

    Returns:
        ``{"top1": ..., "top5": ...}``.
    """
    mode = KnnMode(mode)
    if mode is KnnMode.CLIP:
        bank_labels = train.labels[train.clip_video_index]
        clip_scores = knn_scores(
            train.clips, bank_labels, val.clips, num_classes, k, temperature, chunk_size
        )
        scores = torch.zeros(val.num_videos, num_classes)
        scores.index_add_(0, torch.as_tensor(val.clip_video_index), clip_scores)
    else:
        scores = knn_scores(
            train.video, train.labels, val.video, num_classes, k, temperature, chunk_size
        )
    return top1_top5(scores.numpy(), val.labels)


#: K400's training split (paper Table 2) and classes: the bank the official k = 200 was
#: set for, about 590 videos per class.
K400_TRAIN_VIDEOS, K400_CLASSES = 235_693, 400


def scaled_k(bank_size: int, num_classes: int, k: int = 200) -> int:
    """``k`` rescaled from K400's bank to one of ``bank_size`` items over ``num_classes``.

    The same share of a class's bank items is consulted: k = 200 reads a third of a K400
    class (about 590 videos); on 600 videos over 8 classes that is k = 25.
    """
    per_class = K400_TRAIN_VIDEOS / K400_CLASSES
    return max(1, round(k * (bank_size / num_classes) / per_class))


def knn_sensitivity(
    train: EmbeddingSplit,
    val: EmbeddingSplit,
    num_classes: int,
    mode: KnnMode | str,
    ks: tuple[int, ...],
    temperature: float = 0.1,
) -> dict[int, float]:
    """Top-1 (percent) of :func:`knn_evaluate` for every k in ``ks`` (clipped to the bank).

    Args:
        train: Memory-bank split.
        val: Query split.
        num_classes: C.
        mode: ``uniform``, ``video`` or ``clip``.
        ks: Neighbour counts.
        temperature: Vote temperature.

    Returns:
        ``{k: top1}``.
    """
    return {
        k: knn_evaluate(train, val, num_classes, mode, k=k, temperature=temperature)["top1"]
        for k in ks
    }
