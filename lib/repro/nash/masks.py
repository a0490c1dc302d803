"""L0 mask parameters for a T5 model and their application through forward hooks.

Gate groups are named ``"<stack>.<sublayer>"`` with stack ``enc`` or ``dec`` and
sublayer ``self`` (self-attention heads, ``[L, H]``), ``cross`` (decoder
cross-attention heads, ``[L, H]``) or ``ffn`` (FFN dimensions, ``[L, d_ff]``).
An optional layer gate ``"<group>.layer"`` (``[L]``) switches a whole sublayer
off, as CoFi's MHA/MLP layer masks do. NASH uses ``enc.self`` and ``enc.ffn`` only.

A head gate multiplies that head's slice of the attention output before the
output projection ``o``; an FFN gate multiplies the activation before ``wo``.
This is where the release applies its head and intermediate masks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch import nn
from transformers import T5Config, T5ForConditionalGeneration

from repro.nash import hardconcrete as hc
from repro.nash.sparsity import unit_costs

ENCODER_GROUPS = ("enc.self", "enc.ffn")
DECODER_GROUPS = ("dec.self", "dec.cross", "dec.ffn")
HEAD_INIT_MEAN = 10.0  # release: head log-alphas start near 10 (gates almost surely open)
FFN_INIT_MEAN = 0.0  # release: droprate_init 0.5 -> log(0.5 / 0.5) = 0


def _group_width(config: T5Config, group: str) -> int:
    return config.d_ff if group.endswith("ffn") else config.num_heads


def _group_layers(config: T5Config, group: str) -> int:
    return config.num_layers if group.startswith("enc") else config.num_decoder_layers


class L0Masks(nn.Module):
    """Hard-concrete log-alphas for a set of gate groups of one T5 model.

    Args:
        config: The (possibly already shortened) model's config.
        groups: Gate groups, e.g. :data:`ENCODER_GROUPS`.
        layer_gates: Also learn one gate per sublayer (CoFi-style).
        seed: Seed of the log-alpha initialisation noise.
    """

    def __init__(
        self,
        config: T5Config,
        groups: Sequence[str] = ENCODER_GROUPS,
        layer_gates: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__()
        unknown = set(groups) - set(ENCODER_GROUPS + DECODER_GROUPS)
        if unknown:
            raise ValueError(f"unknown mask groups {sorted(unknown)}")
        self.config = config
        self.groups = tuple(groups)
        self.layer_gates = layer_gates
        gen = torch.Generator().manual_seed(int(seed))
        self.log_alpha = nn.ParameterDict()
        for g in self.groups:
            mean = FFN_INIT_MEAN if g.endswith("ffn") else HEAD_INIT_MEAN
            shape = (_group_layers(config, g), _group_width(config, g))
            self.log_alpha[_key(g)] = nn.Parameter(hc.init_log_alpha(shape, mean, generator=gen))
            if layer_gates:
                layer_shape = (shape[0],)
                init = hc.init_log_alpha(layer_shape, HEAD_INIT_MEAN, generator=gen)
                self.log_alpha[_key(g + ".layer")] = nn.Parameter(init)

    def _combine(self, z: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = {}
        for g in self.groups:
            unit = z[g]
            if self.layer_gates:
                unit = unit * z[g + ".layer"][:, None]
            out[g] = unit
        return out

    def sample(self, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Training masks: one hard-concrete sample per gate, layer gates folded in.

        Returns:
            Group -> ``float[L, width]`` gates in [0, 1] (differentiable).
        """
        z = {_name(k): hc.sample_z(v, generator) for k, v in self.log_alpha.items()}
        return self._combine(z)

    def deterministic(self) -> dict[str, torch.Tensor]:
        """Evaluation masks: the release's per-layer top-k soft masks (detached)."""
        z = {}
        for key, la in self.log_alpha.items():
            name = _name(key)
            if name.endswith(".layer"):  # each layer gate on its own, as CoFi does
                z[name] = torch.cat([hc.deterministic_z(la[i : i + 1]) for i in range(len(la))])
            else:
                z[name] = torch.stack([hc.deterministic_z(row) for row in la])
        return self._combine(z)

    def keep_probs(self) -> dict[str, torch.Tensor]:
        """Group -> ``float[L, width]`` P(gate > 0), times the layer gate's P(> 0)."""
        p = {_name(k): hc.prob_nonzero(v) for k, v in self.log_alpha.items()}
        return self._combine(p)

    def expected_remaining(self) -> torch.Tensor:
        """Expected remaining prunable parameters over all groups (scalar, differentiable)."""
        c = unit_costs(self.config)
        total = torch.zeros((), device=next(self.parameters()).device)
        for g, p in self.keep_probs().items():
            total = total + p.sum() * (c.ffn_dim if g.endswith("ffn") else c.head)
        return total

    def constrain_(self, low: float = -4.60517, high: float = 4.60517) -> None:
        """Clip log-alphas to [log 1e-2, log 1e2] after each step, as the release does."""
        with torch.no_grad():
            for v in self.log_alpha.values():
                v.clamp_(low, high)


def _key(group: str) -> str:  # ParameterDict keys may not contain "."
    return group.replace(".", "__")


def _name(key: str) -> str:
    return key.replace("__", ".")


def _targets(model: T5ForConditionalGeneration, group: str) -> list[nn.Module]:
    """The linear layer whose input each layer's gates of ``group`` multiply."""
    stack = model.encoder if group.startswith("enc") else model.decoder
    out = []
    for block in stack.block:
        if group.endswith("ffn"):
            out.append(block.layer[-1].DenseReluDense.wo)
        elif group.endswith("cross"):
            out.append(block.layer[1].EncDecAttention.o)
        else:
            out.append(block.layer[0].SelfAttention.o)
    return out


@contextlib.contextmanager
def apply_masks(
    model: T5ForConditionalGeneration, masks: dict[str, torch.Tensor]
) -> Iterator[T5ForConditionalGeneration]:
    """Within the ``with`` block, ``model`` runs with ``masks`` applied; hooks are removed on exit.

    Args:
        model: The model to mask (its weights are not modified).
        masks: Group -> ``float[L, width]`` gates (from :meth:`L0Masks.sample` or
            :meth:`L0Masks.deterministic`).
    """
    d_kv = model.config.d_kv
    handles = []

    def hook_for(gate: torch.Tensor):
        def pre_hook(_module, args):
            return (args[0] * gate.to(args[0].device, args[0].dtype),)

        return pre_hook

    try:
        for group, z in masks.items():
            layers = _targets(model, group)
            if z.shape[0] != len(layers):
                raise ValueError(f"mask {group!r} has {z.shape[0]} layers, model has {len(layers)}")
            for layer_idx, linear in enumerate(layers):
                gate = z[layer_idx]
                if not group.endswith("ffn"):
                    gate = gate.repeat_interleave(d_kv)
                handles.append(linear.register_forward_pre_hook(hook_for(gate)))
        yield model
    finally:
        for h in handles:
            h.remove()


def uniform_masks(
    config: T5Config,
    group: str,
    keep: int,
    seed: int = 0,
    layers: int | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Binary ``float[L, width]`` masks keeping ``keep`` random units per layer, on ``device``.

    Used to narrow random-weight models for latency and accounting (which units
    are kept does not change the cost).
    """
    width = _group_width(config, group)
    n_layers = _group_layers(config, group) if layers is None else layers
    if not 0 <= keep <= width:
        raise ValueError(f"keep={keep} must be in [0, {width}] for group {group!r}")
    gen = torch.Generator().manual_seed(int(seed))
    mask = torch.zeros(n_layers, width, device="cpu")
    for layer in range(n_layers):
        mask[layer, torch.randperm(width, generator=gen, device="cpu")[:keep]] = 1.0
    return mask if device is None else mask.to(device)


def fit_to_target(masks: L0Masks, prunable: int, target: float) -> dict[str, torch.Tensor]:
    """Deterministic masks that remove ``target`` of ``prunable`` parameters (to one FFN dim).

    The release keeps ``round(n - sum P(z > 0))`` units per layer, so its final size is
    whatever expected size the controller reached; its runs are ~100x longer than ours
    and settle at the target, ours stop while the controller still swings around it. So
    we keep the controller's ranking but fit the count: units are removed in increasing
    order of their keep probability ``P(z > 0)`` (layer gates folded in), skipping any
    whose removal would overshoot, until the removed parameters reach ``target *
    prunable``. Kept units carry the release's soft value ``sigmoid(0.8 log_alpha / T)``
    (times their layer gate's), which physical pruning folds into the weights.

    Returns:
        Group -> ``float[L, width]`` masks for :func:`repro.nash.prune.prune_model`.
    """
    costs = unit_costs(masks.config)
    probs = masks.keep_probs()
    soft = masks._combine(
        {
            _name(k): torch.sigmoid(v.detach() / hc.TEMPERATURE * hc.DETERMINISTIC_SCALE)
            for k, v in masks.log_alpha.items()
        }
    )
    units = []  # (probability, cost, group, flat index)
    for g, p in probs.items():
        cost = costs.ffn_dim if g.endswith("ffn") else costs.head
        units += [(float(v), cost, g, i) for i, v in enumerate(p.detach().reshape(-1).tolist())]
    budget = target * prunable
    removed = 0.0
    keep = {g: torch.ones(p.numel()) for g, p in probs.items()}
    for _, cost, g, i in sorted(units, key=lambda u: u[0]):
        if removed + cost <= budget + 0.5:
            keep[g][i] = 0.0
            removed += cost
    return {
        g: (keep[g].reshape(probs[g].shape).to(soft[g].device) * soft[g].detach()) for g in probs
    }
