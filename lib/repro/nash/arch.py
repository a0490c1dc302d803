"""T5 architectures: the paper's model shapes, random initialisation and parameter counts.

Shapes are those of the original T5 checkpoints (Raffel et al. 2020, Table 14):
ReLU feed-forward, ``d_kv = 64``, vocabulary 32128, tied input/output embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import T5Config, T5ForConditionalGeneration


@dataclass(frozen=True)
class T5Shape:
    """Size hyperparameters of one T5 model."""

    d_model: int
    d_ff: int
    num_heads: int
    num_layers: int  # encoder layers; the decoder has as many
    d_kv: int = 64
    vocab_size: int = 32128


#: Shapes of google-t5/t5-small, t5-base and t5-large.
ARCH_SHAPES: dict[str, T5Shape] = {
    "t5-small": T5Shape(d_model=512, d_ff=2048, num_heads=8, num_layers=6),
    "t5-base": T5Shape(d_model=768, d_ff=3072, num_heads=12, num_layers=12),
    "t5-large": T5Shape(d_model=1024, d_ff=4096, num_heads=16, num_layers=24),
}


def t5_config(arch: str, **overrides: Any) -> T5Config:
    """A ``T5Config`` with the shape of ``arch`` (see :data:`ARCH_SHAPES`).

    Args:
        arch: ``"t5-small"``, ``"t5-base"`` or ``"t5-large"``.
        **overrides: Any ``T5Config`` field, e.g. ``num_decoder_layers=3``.

    Raises:
        ValueError: for an unknown ``arch``.
    """
    if arch not in ARCH_SHAPES:
        raise ValueError(f"unknown arch {arch!r}; expected one of {sorted(ARCH_SHAPES)}")
    s = ARCH_SHAPES[arch]
    fields: dict[str, Any] = {
        "vocab_size": s.vocab_size,
        "d_model": s.d_model,
        "d_ff": s.d_ff,
        "d_kv": s.d_kv,
        "num_heads": s.num_heads,
        "num_layers": s.num_layers,
        "num_decoder_layers": s.num_layers,
        "feed_forward_proj": "relu",
        "tie_word_embeddings": True,
        "decoder_start_token_id": 0,
        "pad_token_id": 0,
        "eos_token_id": 1,
    }
    fields.update(overrides)
    return T5Config(**fields)


def tiny_t5_config(
    vocab_size: int = 64,
    d_model: int = 32,
    d_ff: int = 64,
    num_heads: int = 4,
    num_layers: int = 2,
    num_decoder_layers: int | None = None,
    **overrides: Any,
) -> T5Config:
    """A small ``T5Config`` for tests and the synthetic task (``d_kv = d_model / num_heads``)."""
    if d_model % num_heads:
        raise ValueError(f"d_model={d_model} must be divisible by num_heads={num_heads}")
    fields: dict[str, Any] = {
        "vocab_size": vocab_size,
        "d_model": d_model,
        "d_ff": d_ff,
        "d_kv": d_model // num_heads,
        "num_heads": num_heads,
        "num_layers": num_layers,
        "num_decoder_layers": num_layers if num_decoder_layers is None else num_decoder_layers,
        "feed_forward_proj": "relu",
        "dropout_rate": 0.0,
        "decoder_start_token_id": 0,
        "pad_token_id": 0,
        "eos_token_id": 1,
    }
    fields.update(overrides)
    return T5Config(**fields)


def random_t5(config: T5Config | str, seed: int = 0) -> T5ForConditionalGeneration:
    """A randomly initialised T5 in eval mode; the global torch RNG is left unchanged.

    Args:
        config: A ``T5Config`` or an arch name for :func:`t5_config`.
        seed: Initialisation seed.
    """
    cfg = t5_config(config) if isinstance(config, str) else config
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model = T5ForConditionalGeneration(cfg)
    return model.eval()


def count_parameters(model: torch.nn.Module) -> dict[str, int]:
    """Exact parameter counts of a T5 model, tied weights counted once.

    Returns:
        Dict with ``total``, ``embedding`` (shared input embedding), ``encoder``
        and ``decoder`` (their blocks and final layer norms, embeddings excluded),
        and ``lm_head`` (0 when tied to the embedding).
    """
    seen: set[int] = set()
    parts = {"embedding": 0, "encoder": 0, "decoder": 0, "lm_head": 0, "other": 0}
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) in seen:
            continue
        seen.add(id(p))
        if name.startswith("shared.") or name.endswith("embed_tokens.weight"):
            key = "embedding"
        elif name.startswith("encoder."):
            key = "encoder"
        elif name.startswith("decoder."):
            key = "decoder"
        elif name.startswith("lm_head."):
            key = "lm_head"
        else:
            key = "other"
        parts[key] += p.numel()
    parts["total"] = sum(parts.values())
    if parts["other"] == 0:
        del parts["other"]
    return parts
