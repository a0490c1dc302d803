"""Physical pruning: remove masked heads and FFN dimensions so that a smaller T5 remains.

The mask values are first folded into the weights (a kept head's columns of ``o``
and a kept FFN dimension's column of ``wo`` are multiplied by its gate, as the
release's ``update_params_t5`` does), then zero-gated units are cut out of
``q, k, v, o`` and ``wi, wo``. The pruned model's outputs equal the masked model's.

T5 computes its relative position bias once, in block 0, for all heads, and every
later block adds it to its scores. A pruned attention module therefore keeps the
index of its surviving heads (``kept_heads``) and the attention function
registered here selects those rows of the shared bias.

A sublayer that loses every head or every FFN dimension is removed from the forward
pass, as the release skips it (:class:`SkippedAttention`, :class:`SkippedFFN`): its
residual branch adds zero, so nothing changes but the time.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from transformers import AttentionInterface, T5ForConditionalGeneration
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from repro.nash.masks import _targets

ATTN_IMPLEMENTATION = "nash_pruned_sdpa"
HEAD_GROUPS = ("enc.self", "dec.self", "dec.cross")
FFN_GROUPS = ("enc.ffn", "dec.ffn")


def _sliced_bias_attention(module, query, key, value, attention_mask, **kwargs):
    """SDPA attention that first selects the module's kept heads of the shared position bias."""
    bias = kwargs.pop("position_bias", None)
    kept = getattr(module, "kept_heads", None)
    if bias is not None and kept is not None and bias.shape[1] != query.shape[1]:
        bias = bias.index_select(1, kept.to(bias.device))
    return sdpa_attention_forward(
        module, query, key, value, attention_mask, position_bias=bias, **kwargs
    )


AttentionInterface.register(ATTN_IMPLEMENTATION, _sliced_bias_attention)
# Masks must be built in the SDPA format too, or padding is handled differently.
AttentionMaskInterface.register(ATTN_IMPLEMENTATION, sdpa_mask)


def _linear_from(weight: torch.Tensor) -> nn.Linear:
    """A bias-free ``nn.Linear`` holding ``weight`` (``float[out, in]``); no re-initialisation."""
    new = nn.Linear(1, 1, bias=False, device="meta")
    new.weight = nn.Parameter(weight)
    new.out_features, new.in_features = weight.shape
    return new


def _keep_rows(linear: nn.Linear, rows: torch.Tensor) -> nn.Linear:
    w = linear.weight.data
    return _linear_from(w.index_select(0, rows.to(w.device)).clone())


def _keep_cols(linear: nn.Linear, cols: torch.Tensor, scale: torch.Tensor) -> nn.Linear:
    w = linear.weight.data
    return _linear_from(w.index_select(1, cols.to(w.device)) * scale[None, :].to(w.device, w.dtype))


def _index_device(weight: torch.Tensor, gate: torch.Tensor) -> torch.device:
    """Where the kept-unit indices are computed: the weight's device.

    Meta weights (parameter accounting) carry no values, so there the indices stay with
    the gate, whose values decide which units survive.
    """
    return gate.device if weight.device.type == "meta" else weight.device


def prune_attention(attn: nn.Module, gate: torch.Tensor) -> None:
    """Fold ``gate`` (``float[H_current]``) into ``attn`` and drop heads with gate 0, in place.

    Every index tensor is created on the weights' device, so a CUDA model is pruned on CUDA.
    With every gate 0 the projections become zero-width (the sublayer is then skipped by
    :func:`skip_empty_sublayers`).
    """
    d_kv = attn.key_value_proj_dim
    device = _index_device(attn.o.weight, gate)
    scale = gate.detach().to(device)
    kept = torch.nonzero(scale > 0).flatten()
    cols = (kept[:, None] * d_kv + torch.arange(d_kv, device=device)[None, :]).flatten()
    col_scale = scale.repeat_interleave(d_kv).index_select(0, cols)
    attn.q, attn.k, attn.v = (_keep_rows(getattr(attn, n), cols) for n in ("q", "k", "v"))
    attn.o = _keep_cols(attn.o, cols, col_scale)
    previous = getattr(attn, "kept_heads", None)
    heads = kept if previous is None else previous.to(device).index_select(0, kept)
    # A non-persistent buffer follows model.to(device) and stays out of saved checkpoints.
    attn.register_buffer("kept_heads", heads, persistent=False)
    attn.inner_dim = len(kept) * d_kv


def prune_ffn(ffn: nn.Module, gate: torch.Tensor) -> None:
    """Fold ``gate`` (``float[d_ff_current]``) into ``wo`` and drop dims with gate 0, in place."""
    scale = gate.detach().to(_index_device(ffn.wo.weight, gate))
    kept = torch.nonzero(scale > 0).flatten()
    for name in ("wi", "wi_0", "wi_1"):
        if hasattr(ffn, name):
            setattr(ffn, name, _keep_rows(getattr(ffn, name), kept))
    ffn.wo = _keep_cols(ffn.wo, kept, scale.index_select(0, kept))


def _sublayer_modules(model: T5ForConditionalGeneration, group: str) -> list[nn.Module]:
    stack = model.encoder if group.startswith("enc") else model.decoder
    if group.endswith("ffn"):
        return [b.layer[-1].DenseReluDense for b in stack.block]
    if group.endswith("cross"):
        return [b.layer[1].EncDecAttention for b in stack.block]
    return [b.layer[0].SelfAttention for b in stack.block]


def use_pruned_attention(model: T5ForConditionalGeneration) -> None:
    """Switch every config in ``model`` to the bias-slicing attention function."""
    configs = {id(model.config): model.config}
    for module in model.modules():
        cfg = getattr(module, "config", None)
        if cfg is not None:
            configs[id(cfg)] = cfg
    for cfg in configs.values():
        cfg._attn_implementation = ATTN_IMPLEMENTATION


def prune_model(
    model: T5ForConditionalGeneration, masks: dict[str, torch.Tensor]
) -> T5ForConditionalGeneration:
    """A physically pruned copy of ``model`` computing what ``apply_masks(model, masks)`` computes.

    Args:
        model: The model (unchanged).
        masks: Group -> ``float[L, width]`` deterministic gates, e.g. from
            :meth:`repro.nash.masks.L0Masks.deterministic` (soft values are folded in).

    Returns:
        The smaller model, in eval mode.
    """
    new = copy.deepcopy(model)
    for group, z in masks.items():
        modules = _sublayer_modules(new, group)
        if z.shape[0] != len(modules):
            raise ValueError(f"mask {group!r} has {z.shape[0]} layers, model has {len(modules)}")
        for module, gate in zip(modules, z, strict=True):
            if group.endswith("ffn"):
                prune_ffn(module, gate)
            else:
                prune_attention(module, gate)
    skip_empty_sublayers(new)
    use_pruned_attention(new)
    return new.eval()


class SkippedAttention(nn.Module):
    """An attention sublayer whose heads were all pruned: it returns its input unchanged.

    It holds the emptied attention module under its usual name (so that
    :func:`structure` reads 0 heads) but calls none of its projections. Block 0's
    self-attention owns T5's relative position bias, which the later blocks reuse;
    skipped there, it still computes that bias (a table lookup, no matmul). A skipped
    decoder self-attention still advances its layer of the KV cache, with zero heads,
    because the positions of the next generated tokens are read from the cache's length.
    """

    def __init__(self, attention: nn.Module, name: str) -> None:
        super().__init__()
        self.name = name
        self.add_module(name, attention)

    def forward(self, hidden_states, *args, position_bias=None, cache=None, **kwargs):
        attn = getattr(self, self.name)
        n, past = hidden_states.shape[1], 0
        if cache is not None and self.name == "SelfAttention":
            layers = getattr(cache, "self_attention_cache", cache)
            past = layers.get_seq_length(attn.layer_idx)
            empty = hidden_states.new_zeros(hidden_states.shape[0], 0, n, attn.key_value_proj_dim)
            layers.update(empty, empty.clone(), attn.layer_idx)
        if position_bias is None and getattr(attn, "has_relative_attention_bias", False):
            position_bias = attn.compute_bias(
                n, past + n, device=hidden_states.device, past_seen_tokens=past
            )
        return hidden_states, position_bias, None


class SkippedFFN(nn.Module):
    """An FFN sublayer with no dimension left: the identity (holds the empty ``DenseReluDense``)."""

    def __init__(self, ffn: nn.Module) -> None:
        super().__init__()
        self.DenseReluDense = ffn

    def forward(self, hidden_states):
        return hidden_states


def skip_empty_sublayers(model: T5ForConditionalGeneration) -> list[str]:
    """Replace every sublayer left with no head / FFN dim by a skip, in place; return their names.

    Names are ``"<group>.<layer>"``, e.g. ``"enc.self.0"``.
    """
    attention_slots = {
        "enc": [(0, "SelfAttention")],
        "dec": [(0, "SelfAttention"), (1, "EncDecAttention")],
    }
    for stack_name, stack in (("enc", model.encoder), ("dec", model.decoder)):
        for block in stack.block:
            for slot, name in attention_slots[stack_name]:
                layer = block.layer[slot]
                if not isinstance(layer, SkippedAttention):
                    attn = getattr(layer, name)
                    if attn.o.in_features == 0:
                        block.layer[slot] = SkippedAttention(attn, name)
            ffn = block.layer[-1]
            if not isinstance(ffn, SkippedFFN) and ffn.DenseReluDense.wo.in_features == 0:
                block.layer[-1] = SkippedFFN(ffn.DenseReluDense)
    return skipped_sublayers(model)


def skipped_sublayers(model: T5ForConditionalGeneration) -> list[str]:
    """Names (``"<group>.<layer>"``) of the sublayers of ``model`` that are skipped."""
    out = []
    for stack_name, stack in (("enc", model.encoder), ("dec", model.decoder)):
        for i, block in enumerate(stack.block):
            if isinstance(block.layer[0], SkippedAttention):
                out.append(f"{stack_name}.self.{i}")
            if stack_name == "dec" and isinstance(block.layer[1], SkippedAttention):
                out.append(f"dec.cross.{i}")
            if isinstance(block.layer[-1], SkippedFFN):
                out.append(f"{stack_name}.ffn.{i}")
    return out


def kept_heads(attn: nn.Module) -> list[int]:
    """Indices (into the full model's heads) of the heads ``attn`` still has."""
    kept = getattr(attn, "kept_heads", None)
    if kept is None:
        return list(range(attn.n_heads))
    return [int(h) for h in kept.cpu()]


def structure(model: T5ForConditionalGeneration) -> dict[str, list[int]]:
    """Heads and FFN dims per layer of each group, e.g. ``{"enc.self": [8, 8, ...], ...}``."""
    out: dict[str, list[int]] = {}
    for group in ("enc.self", "enc.ffn", "dec.self", "dec.cross", "dec.ffn"):
        lins = _targets(model, group)
        if group.endswith("ffn"):
            out[group] = [lin.in_features for lin in lins]
        else:
            d_kv = model.config.d_kv
            out[group] = [lin.in_features // d_kv for lin in lins]
    return out
