"""Local random number generators. Nothing here touches global RNG state."""

from __future__ import annotations

import numpy as np


def numpy_rng(seed: int | np.random.Generator) -> np.random.Generator:
    """Return a ``np.random.Generator`` for ``seed`` (a generator is passed through)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(int(seed))


def torch_generator(seed: int, device: str = "cpu"):
    """Return a ``torch.Generator`` on ``device`` seeded with ``seed``."""
    import torch

    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def derive_seed(seed: int, *keys: int | str) -> int:
    """A child seed for a sub-task, stable across runs and platforms.

    ``derive_seed(0, "teacher", 3)`` is always the same 63-bit integer, and
    differs from ``derive_seed(0, "student", 3)``.
    """
    import hashlib

    text = ":".join([str(int(seed)), *map(str, keys)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1
