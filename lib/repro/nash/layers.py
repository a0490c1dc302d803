"""Decoder shortening: which decoder blocks NASH keeps, and a real shallower model.

The release keeps ``floor((L - 1) / (k - 1) * i)`` for ``i < k`` ("unif"), the
first k blocks ("low") or the last k blocks ("high"). "unif" and "low" keep block 0,
which owns T5's relative position bias; "high" drops it, and the shortened decoder
then runs without a position bias, as in the release.
"""

from __future__ import annotations

import copy
import math
from enum import StrEnum

from transformers import T5ForConditionalGeneration


class LayerSelection(StrEnum):
    """How the k kept decoder blocks are chosen."""

    UNIFORM = "unif"
    LOW = "low"
    HIGH = "high"


def select_decoder_layers(
    num_layers: int, k: int, mode: LayerSelection | str = LayerSelection.UNIFORM
) -> list[int]:
    """Indices of the decoder blocks to keep.

    Args:
        num_layers: L, the decoder depth of the full model.
        k: Blocks to keep, 1 <= k <= L. For k = 1 "unif" keeps block 0 (the
            release divides by zero there).
        mode: :class:`LayerSelection` or its value.

    Returns:
        ``int[k]`` increasing block indices, e.g. ``[0, 5, 11]`` for L=12, k=3.

    Raises:
        ValueError: if k is outside [1, L] or the mode is unknown.
    """
    mode = LayerSelection(mode)
    if not 1 <= k <= num_layers:
        raise ValueError(f"decoder layers k={k} must be in [1, {num_layers}]")
    if mode is LayerSelection.LOW:
        return list(range(k))
    if mode is LayerSelection.HIGH:
        return list(range(num_layers - k, num_layers))
    if k == 1:
        return [0]
    # Integer arithmetic gives the exact floor of (L - 1) * i / (k - 1).
    return [((num_layers - 1) * i) // (k - 1) for i in range(k)]


def _float_floor_indices(num_layers: int, k: int) -> list[int]:
    """The release's float formula, kept to test that the integer version matches it."""
    return [math.floor((num_layers - 1) / (k - 1) * i) for i in range(k)]


def shorten_decoder(
    model: T5ForConditionalGeneration, keep: list[int]
) -> T5ForConditionalGeneration:
    """A copy of ``model`` whose decoder holds only the blocks ``keep``, in order.

    The kept blocks are renumbered 0..k-1 (their ``layer_idx`` indexes the KV
    cache) and ``config.num_decoder_layers`` is set to k. The input model is unchanged.

    Raises:
        ValueError: if ``keep`` is empty, unsorted, repeated or out of range.
    """
    num = len(model.decoder.block)
    if not keep or sorted(set(keep)) != list(keep) or keep[0] < 0 or keep[-1] >= num:
        raise ValueError(f"keep={keep} must be increasing distinct indices in [0, {num})")
    new = copy.deepcopy(model)
    blocks = [new.decoder.block[i] for i in keep]
    for new_idx, block in enumerate(blocks):
        for sub in block.layer[:2]:  # self-attention and cross-attention
            attn = getattr(sub, "SelfAttention", None) or getattr(sub, "EncDecAttention", None)
            attn.layer_idx = new_idx
    new.decoder.block = type(new.decoder.block)(blocks)
    new.config.num_decoder_layers = len(keep)
    new.decoder.config.num_layers = len(keep)
    return new
