"""Latency of ``generate`` for full, shortened and narrowed T5 models.

Output length is forced (``min_new_tokens = max_new_tokens``): with random or
weak weights the end-of-sequence token would otherwise come at arbitrary steps,
and models would be compared on different amounts of decoding. Configurations
are timed round-robin with :func:`repro.core.timing.time_interleaved`; on CUDA
each call is synchronised. Per-part times (encoder, decoder stack, output layer)
come from one extra instrumented call per configuration, so the hooks never
touch the timed calls.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from transformers import T5Config, T5ForConditionalGeneration

from repro.core.timing import cuda_sync_if_available, time_interleaved
from repro.nash.arch import count_parameters, random_t5, t5_config
from repro.nash.layers import LayerSelection, select_decoder_layers, shorten_decoder
from repro.nash.masks import uniform_masks
from repro.nash.prune import prune_model
from repro.nash.sparsity import uniform_encoder_kept


@dataclass(frozen=True)
class GenerationSetup:
    """What one latency measurement decodes."""

    batch: int = 1
    input_len: int = 128
    output_len: int = 20
    num_beams: int = 1  # 1 = greedy; the release uses 4 for CNN/DM

    def __post_init__(self) -> None:
        for name in ("batch", "input_len", "output_len", "num_beams"):
            if getattr(self, name) < 1:
                raise ValueError(f"GenerationSetup.{name} must be >= 1, got {getattr(self, name)}")


def make_inputs(setup: GenerationSetup, vocab_size: int, seed: int = 0) -> torch.Tensor:
    """``int64[batch, input_len]`` random token ids avoiding pad (0) and EOS (1)."""
    gen = torch.Generator().manual_seed(int(seed))
    shape = (setup.batch, setup.input_len)
    return torch.randint(2, vocab_size, shape, generator=gen, device="cpu")


def generate_call(
    model: T5ForConditionalGeneration, input_ids: torch.Tensor, setup: GenerationSetup
) -> Callable[[], torch.Tensor]:
    """A zero-argument closure running forced-length greedy or beam ``generate``."""
    device = next(model.parameters()).device
    ids = input_ids.to(device)

    def call() -> torch.Tensor:
        with torch.inference_mode():
            return model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                min_new_tokens=setup.output_len,
                max_new_tokens=setup.output_len,
                num_beams=setup.num_beams,
                do_sample=False,
                early_stopping=False,
            )

    return call


def part_times(
    model: T5ForConditionalGeneration, input_ids: torch.Tensor, setup: GenerationSetup
) -> dict[str, float]:
    """One instrumented ``generate``: milliseconds in encoder, decoder stack and ``lm_head``.

    Returns:
        Dict with ``encoder_ms``, ``decoder_ms``, ``lm_head_ms``, ``total_ms`` and
        ``other_ms`` (search logic, embedding of outputs, Python overhead).
    """
    sync = cuda_sync_if_available()
    parts = {"encoder": model.encoder, "decoder": model.decoder, "lm_head": model.lm_head}
    spent = dict.fromkeys(parts, 0.0)
    started: dict[str, float] = {}
    handles = []

    def now() -> float:
        if sync is not None:
            sync()
        return time.perf_counter()

    for name, module in parts.items():
        handles.append(
            module.register_forward_pre_hook(lambda *_, n=name: started.__setitem__(n, now()))
        )
        handles.append(
            module.register_forward_hook(
                lambda *_, n=name: spent.__setitem__(n, spent[n] + now() - started[n])
            )
        )
    try:
        t0 = now()
        out = generate_call(model, input_ids, setup)()
        total = now() - t0
    finally:
        for h in handles:
            h.remove()
    if out.shape[1] != setup.output_len + 1:  # + the decoder start token
        raise RuntimeError(f"generate produced {out.shape[1] - 1} tokens, not {setup.output_len}")
    res = {f"{n}_ms": v * 1000.0 for n, v in spent.items()}
    res["total_ms"] = total * 1000.0
    res["other_ms"] = res["total_ms"] - sum(v * 1000.0 for v in spent.values())
    return res


def narrowed_model(
    base: T5ForConditionalGeneration,
    encoder_sparsity: float,
    decoder_layers: int | None,
    selection: LayerSelection | str = LayerSelection.UNIFORM,
    seed: int = 0,
) -> T5ForConditionalGeneration:
    """``base`` with a uniformly shortened decoder and a uniformly narrowed encoder.

    Every encoder layer keeps ``H - round(s H)`` random heads and ``d_ff - round(s d_ff)``
    random FFN dimensions (see :func:`repro.nash.sparsity.uniform_encoder_kept`);
    ``decoder_layers=None`` keeps the whole decoder.
    """
    cfg = base.config
    model = base
    if decoder_layers is not None and decoder_layers < cfg.num_decoder_layers:
        model = shorten_decoder(
            base, select_decoder_layers(cfg.num_decoder_layers, decoder_layers, selection)
        )
    if encoder_sparsity > 0:
        heads, dims = uniform_encoder_kept(cfg, encoder_sparsity)
        masks = {
            "enc.self": uniform_masks(cfg, "enc.self", heads, seed=seed),
            "enc.ffn": uniform_masks(cfg, "enc.ffn", dims, seed=seed + 1),
        }
        model = prune_model(model, masks)
    return model.eval()


def environment_record(model: T5ForConditionalGeneration) -> dict[str, object]:
    """Device, threads and dtype under which a measurement ran."""
    device = next(model.parameters()).device
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = platform.processor() or platform.machine()
        try:
            with open("/proc/cpuinfo") as fh:
                for line in fh:
                    if line.startswith("model name"):
                        name = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
    return {
        "device": device.type,
        "device_name": name,
        "threads": torch.get_num_threads(),
        "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
    }


def measure(
    models: Mapping[str, T5ForConditionalGeneration],
    setup: GenerationSetup,
    *,
    reference: str,
    warmup: int = 1,
    repeats: int = 5,
    seed: int = 0,
    with_parts: bool = True,
) -> list[dict]:
    """Time ``generate`` for several models interleaved; one record per model.

    Args:
        models: Name -> model, all on the same device.
        setup: Batch, input and (forced) output lengths, beams.
        reference: The name whose median is the speedup denominator (the full model).
        warmup / repeats: Untimed and timed rounds (the median absorbs one cold round
            when ``warmup = 0``).
        seed: Seed of the random input ids.
        with_parts: Add one instrumented call per model for per-part times.

    Returns:
        Records with ``config``, ``median_ms``, ``iqr_ms``, ``speedup``, ``params``,
        the setup fields, the environment and (optionally) ``encoder_ms`` etc.
    """
    first = next(iter(models.values()))
    ids = make_inputs(setup, first.config.vocab_size, seed)
    calls = {name: generate_call(m, ids, setup) for name, m in models.items()}
    stats = time_interleaved(calls, warmup=warmup, repeats=repeats, sync=cuda_sync_if_available())
    # Instrumented calls come after the timed rounds, so every model is warm by then.
    parts = {name: part_times(m, ids, setup) for name, m in models.items()} if with_parts else {}
    ref = stats[reference]["median_ms"]
    env = environment_record(first)
    records = []
    for name, model in models.items():
        rec = {
            "config": name,
            "median_ms": stats[name]["median_ms"],
            "iqr_ms": stats[name]["iqr_ms"],
            "repeats": repeats,
            "samples_ms": stats[name]["samples_ms"],  # per round, same order for every model
            "speedup": ref / stats[name]["median_ms"],
            "params": count_parameters(model)["total"],
            "batch": setup.batch,
            "input_len": setup.input_len,
            "output_len": setup.output_len,
            "num_beams": setup.num_beams,
            **env,
        }
        rec.update(parts.get(name, {}))
        records.append(rec)
    return records


def config_name(decoder_layers: int | None, encoder_sparsity: float) -> str:
    """``"k=3,s=0.3"``; ``k=all`` for the full decoder."""
    k = "all" if decoder_layers is None else str(decoder_layers)
    return f"k={k},s={encoder_sparsity:g}"


def latency_grid(
    arch: str | T5Config,
    decoder_layers: Sequence[int | None],
    encoder_sparsities: Sequence[float],
    setups: Sequence[GenerationSetup],
    *,
    warmup: int = 1,
    repeats: int = 5,
    seed: int = 0,
    device: str = "cpu",
) -> list[dict]:
    """Latency of every (k, s) against the full model, one interleaved group per sparsity.

    Only the models of one encoder sparsity (plus the full reference) exist at a
    time, which bounds memory for T5-large. Each group re-measures the reference,
    so every speedup is a same-run ratio.

    Returns:
        Records of :func:`measure` with ``arch``, ``decoder_layers`` (``None`` = all)
        and ``encoder_sparsity`` added.
    """
    cfg = t5_config(arch) if isinstance(arch, str) else arch
    name = arch if isinstance(arch, str) else "custom"
    full = random_t5(cfg, seed=seed).to(device)
    ref = config_name(None, 0.0)
    records: list[dict] = []
    for s in encoder_sparsities:
        group = {ref: full}
        for k in decoder_layers:
            key = config_name(k, s)
            if key != ref:
                group[key] = narrowed_model(full, s, k, seed=seed).to(device)
        for setup in setups:
            for rec in measure(
                group, setup, reference=ref, warmup=warmup, repeats=repeats, seed=seed
            ):
                k_val, s_val = rec["config"].split(",")
                rec["arch"] = name
                rec["decoder_layers"] = k_val.split("=")[1]
                rec["encoder_sparsity"] = float(s_val.split("=")[1])
                rec["sparsity_group"] = s
                records.append(rec)
        del group
    return records


def own_group_rows(records) -> pd.DataFrame:
    """Grid records without the reference re-timed in other sparsity groups (one row per model)."""
    df = pd.DataFrame(records)
    return df[df.encoder_sparsity == df.sparsity_group].reset_index(drop=True)


def speedup_table(records) -> pd.DataFrame:
    """Speedups of a grid as a wide table: one row per setup and sparsity, one column per k.

    Columns ``k=all`` first, then k in decreasing order.
    """
    own = own_group_rows(records)
    keys = ["arch", "batch", "output_len", "num_beams", "encoder_sparsity"]
    wide = own.pivot_table(index=keys, columns="decoder_layers", values="speedup").reset_index()
    ks = [c for c in wide.columns if c not in keys]
    order = (["all"] if "all" in ks else []) + sorted(
        (k for k in ks if k != "all"), key=int, reverse=True
    )
    wide = wide[keys + order]
    wide.columns = keys + [f"k={k}" for k in order]
    return wide
