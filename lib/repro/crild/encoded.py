"""Tokenised splits: padded id, mask and type-id tensors with labels, on one device.

Data contract: :class:`Encoded` holds ``int64[n, T]`` ids, mask and type ids (all padded
to one length ``T``) and labels ``int64[n]`` / ``float32[n]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Encoded:
    """A tokenised split; every tensor has ``n`` rows."""

    ids: torch.Tensor
    mask: torch.Tensor
    types: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def device(self) -> torch.device:
        return self.ids.device

    def take(self, idx: torch.Tensor) -> Encoded:
        """Rows ``idx`` (moved to this split's device first: batch orders come from CPU RNGs)."""
        idx = idx.to(self.ids.device)
        return Encoded(self.ids[idx], self.mask[idx], self.types[idx], self.labels[idx])

    def to(self, device: torch.device | str) -> Encoded:
        """Every tensor on ``device``."""
        return Encoded(*(x.to(device) for x in (self.ids, self.mask, self.types, self.labels)))


def encode(tokenizer, text_a, text_b, labels, max_len: int) -> Encoded:
    """Tokenises to one common padded length ``min(longest, max_len)``.

    Args:
        tokenizer: a Hugging Face fast tokenizer.
        text_a: ``n`` strings; text_b: ``n`` strings, all empty for single-sentence tasks, or None.
        labels: ``int64[n]`` or ``float32[n]``.
        max_len: truncation length in tokens.
    """
    a = [str(t) for t in text_a]
    b = None if text_b is None or all(str(t) == "" for t in text_b) else [str(t) for t in text_b]
    enc = tokenizer(
        a, b, truncation=True, max_length=max_len, padding="longest", return_tensors="pt"
    )
    labels = torch.as_tensor(np.asarray(labels))
    return Encoded(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"], labels)
