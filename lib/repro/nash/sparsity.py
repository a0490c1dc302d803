"""Parameter and sparsity accounting for NASH, from exact arithmetic.

Conventions follow the release's L0 module: a head costs ``4 * d_model * d_kv``
parameters (its rows of q, k, v and its columns of o; the release writes
``4 d^2 / H``, equal when ``H * d_kv = d``), an FFN dimension costs
``n_mlp * d_model`` with ``n_mlp = 2`` for ReLU (wi row, wo column) and 3 for
gated GELU. Embeddings, layer norms, relative position biases and the output
layer are not prunable. NASH's target sparsity is the fraction of *encoder*
attention + FFN parameters removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import T5Config


@dataclass(frozen=True)
class UnitCosts:
    """Parameters per prunable unit of one T5 configuration."""

    head: int  # one attention head (q, k, v rows + o columns)
    ffn_dim: int  # one FFN intermediate dimension
    heads_per_layer: int
    ffn_dims_per_layer: int


def unit_costs(config: T5Config) -> UnitCosts:
    """Per-unit parameter costs for ``config``."""
    n_mlp = 3 if config.is_gated_act else 2
    return UnitCosts(
        head=4 * config.d_model * config.d_kv,
        ffn_dim=n_mlp * config.d_model,
        heads_per_layer=config.num_heads,
        ffn_dims_per_layer=config.d_ff,
    )


def encoder_prunable(config: T5Config) -> int:
    """Prunable encoder parameters: ``L_enc * (H * head + d_ff * ffn_dim)``."""
    c = unit_costs(config)
    return config.num_layers * (c.heads_per_layer * c.head + c.ffn_dims_per_layer * c.ffn_dim)


def decoder_prunable(config: T5Config, num_layers: int | None = None) -> int:
    """Prunable decoder parameters: per layer, self- and cross-attention heads and the FFN.

    Args:
        num_layers: Decoder depth to count (default ``config.num_decoder_layers``).
    """
    c = unit_costs(config)
    layers = config.num_decoder_layers if num_layers is None else num_layers
    return layers * (2 * c.heads_per_layer * c.head + c.ffn_dims_per_layer * c.ffn_dim)


def uniform_encoder_kept(config: T5Config, sparsity: float) -> tuple[int, int]:
    """Heads and FFN dims kept per encoder layer when every layer drops the same fraction.

    Returns:
        ``(heads_kept, ffn_dims_kept)``: ``H - round(s H)`` and ``d_ff - round(s d_ff)``.
    """
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"encoder sparsity must be in [0, 1), got {sparsity}")
    heads = config.num_heads - round(sparsity * config.num_heads)
    dims = config.d_ff - round(sparsity * config.d_ff)
    return heads, dims


def accounting_row(config: T5Config, encoder_sparsity: float, decoder_layers: int) -> dict:
    """Exact sizes of NASH's (encoder sparsity, k) model with uniform per-layer narrowing.

    Returns:
        Dict of ints and floats: prunable parameters of the full model, remaining
        encoder / decoder prunable parameters, the achieved encoder sparsity, the
        overall prunable sparsity, and the total parameters of the pruned model.
    """
    c = unit_costs(config)
    heads, dims = uniform_encoder_kept(config, encoder_sparsity)
    enc_full = encoder_prunable(config)
    enc_kept = config.num_layers * (heads * c.head + dims * c.ffn_dim)
    dec_full = decoder_prunable(config)
    dec_kept = decoder_prunable(config, decoder_layers)
    full_total = total_parameters(config)
    removed = (enc_full - enc_kept) + (dec_full - dec_kept)
    removed += (config.num_decoder_layers - decoder_layers) * decoder_layer_fixed(config)
    return {
        "encoder_sparsity_target": encoder_sparsity,
        "decoder_layers": decoder_layers,
        "enc_heads_kept_per_layer": heads,
        "enc_ffn_kept_per_layer": dims,
        "prunable_full": enc_full + dec_full,
        "encoder_prunable_kept": enc_kept,
        "decoder_prunable_kept": dec_kept,
        "encoder_sparsity": 1.0 - enc_kept / enc_full,
        "overall_sparsity": 1.0 - (enc_kept + dec_kept) / (enc_full + dec_full),
        "total_params_full": full_total,
        "total_params_pruned": full_total - removed,
    }


def decoder_layer_fixed(config: T5Config) -> int:
    """Non-prunable parameters of one decoder block: its three layer norms."""
    return 3 * config.d_model


def total_parameters(config: T5Config) -> int:
    """All parameters of an unpruned ``T5ForConditionalGeneration`` built from ``config``."""
    d, buckets = config.d_model, config.relative_attention_num_buckets
    embedding = config.vocab_size * d
    lm_head = 0 if config.tie_word_embeddings else config.vocab_size * d
    enc = encoder_prunable(config) + config.num_layers * 2 * d + d + buckets * config.num_heads
    dec = decoder_prunable(config) + config.num_decoder_layers * decoder_layer_fixed(config)
    dec += d + buckets * config.num_heads
    return embedding + lm_head + enc + dec


def expected_remaining(
    head_probs: torch.Tensor, ffn_probs: torch.Tensor, config: T5Config
) -> torch.Tensor:
    """Expected remaining prunable parameters of one stack, differentiable.

    Args:
        head_probs: ``float[L, H]`` P(head gate > 0), already multiplied by any
            layer-level gate probability.
        ffn_probs: ``float[L, d_ff]`` P(FFN gate > 0), likewise.
        config: Gives the unit costs. For a decoder, pass self- and cross-attention
            heads stacked as ``float[L, 2H]``.
    """
    c = unit_costs(config)
    return head_probs.sum() * c.head + ffn_probs.sum() * c.ffn_dim


def expected_sparsity(
    head_probs: torch.Tensor, ffn_probs: torch.Tensor, config: T5Config, prunable: int
) -> torch.Tensor:
    """``1 - expected_remaining / prunable`` (scalar tensor)."""
    return 1.0 - expected_remaining(head_probs, ffn_probs, config) / prunable


def achieved_sparsity(structure: dict[str, list[int]], config: T5Config) -> dict[str, float]:
    """Encoder and overall prunable sparsity of a pruned model relative to the full ``config``.

    Args:
        structure: Heads / FFN dims per layer and group, from
            :func:`repro.nash.prune.structure` (a sublayer that lost every head or
            FFN dimension counts 0: it is skipped).
        config: The unpruned model's config (gives the denominators).
    """
    c = unit_costs(config)
    enc = sum(structure["enc.self"]) * c.head + sum(structure["enc.ffn"]) * c.ffn_dim
    dec = (sum(structure["dec.self"]) + sum(structure["dec.cross"])) * c.head
    dec += sum(structure["dec.ffn"]) * c.ffn_dim
    enc_full, dec_full = encoder_prunable(config), decoder_prunable(config)
    return {
        "encoder_sparsity": 1.0 - enc / enc_full,
        "overall_sparsity": 1.0 - (enc + dec) / (enc_full + dec_full),
    }
