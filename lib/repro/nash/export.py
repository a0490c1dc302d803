"""Saving a pruned T5 so that a user can keep it, and rebuilding it: :func:`load_pruned`.

A pruned model has a different width per layer, so Hugging Face's ``from_pretrained``
cannot rebuild it from ``config.json`` alone. The folder written by :func:`save_pruned`
holds, next to the usual ``config.json`` (the full widths; ``num_decoder_layers`` = k)
and ``generation_config.json``:

* ``model.safetensors``: the pruned weights (mask values already folded in);
* ``nash_structure.json``: per layer, the kept head indices of every attention sublayer
  (indices into the full model's heads, needed to slice T5's shared position bias),
  the FFN width, the sublayers removed entirely, and the teacher's decoder blocks kept;
* ``masks.safetensors``: the deterministic gates that produced the model (when known);
* the tokenizer files, when a tokenizer is given.

:func:`load_pruned` builds the full-width model from ``config.json``, cuts every
sublayer to the recorded shape with the same functions that pruned it
(:mod:`repro.nash.prune`) and loads the weights, so it computes what the saved model did.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, load_model, save_file, save_model
from transformers import GenerationConfig, T5Config, T5ForConditionalGeneration

from repro.core.atomic import atomic_write_text
from repro.core.errors import InputError
from repro.nash.prune import (
    FFN_GROUPS,
    HEAD_GROUPS,
    _sublayer_modules,
    kept_heads,
    prune_attention,
    prune_ffn,
    skip_empty_sublayers,
    skipped_sublayers,
    use_pruned_attention,
)

FORMAT = 1
WEIGHTS_FILE = "model.safetensors"
STRUCTURE_FILE = "nash_structure.json"
MASKS_FILE = "masks.safetensors"


class PrunedModelError(InputError):
    """A folder given to :func:`load_pruned` is not a saved pruned model."""


def pruned_structure(model: T5ForConditionalGeneration) -> dict[str, dict[str, list]]:
    """Kept head indices per attention sublayer and FFN width per layer of ``model``."""
    heads = {g: [kept_heads(m) for m in _sublayer_modules(model, g)] for g in HEAD_GROUPS}
    ffn = {g: [m.wo.in_features for m in _sublayer_modules(model, g)] for g in FFN_GROUPS}
    return {"heads": heads, "ffn_dims": ffn}


def save_pruned(
    model: T5ForConditionalGeneration,
    out: str | Path,
    *,
    decoder_layers_kept: list[int],
    masks: dict[str, torch.Tensor] | None = None,
    tokenizer=None,
    info: dict | None = None,
) -> list[Path]:
    """Write ``model`` (physically pruned) to the folder ``out``; return the files written.

    Args:
        model: A model from :func:`repro.nash.prune.prune_model` (or any T5).
        out: Folder, created if missing.
        decoder_layers_kept: Which of the original decoder blocks the model holds.
        masks: The gates that were folded in (group -> ``float[L, width]``), saved as they are.
        tokenizer: Saved with the model so that the folder is self-contained.
        info: Extra JSON-serialisable facts recorded in ``nash_structure.json`` (settings,
            parameter counts, scores).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(out)
    model.generation_config.save_pretrained(out)
    if tokenizer is not None:
        tokenizer.save_pretrained(out)
    save_model(model, str(out / WEIGHTS_FILE))
    structure = {
        "format": FORMAT,
        "decoder_layers_kept": list(decoder_layers_kept),
        **pruned_structure(model),
        "skipped": skipped_sublayers(model),
        **({"info": info} if info else {}),
    }
    atomic_write_text(out / STRUCTURE_FILE, json.dumps(structure, indent=1) + "\n")
    if masks is not None:
        save_file({g: z.detach().cpu().contiguous() for g, z in masks.items()}, out / MASKS_FILE)
    return sorted(p for p in out.iterdir() if p.is_file())


def _require(path: Path) -> Path:
    if not path.is_file():
        raise PrunedModelError(
            f"{path}: missing; expected a folder written by repro nash prune / save_pruned"
        )
    return path


def read_structure(folder: str | Path) -> dict:
    """The parsed ``nash_structure.json`` of a saved pruned model."""
    path = _require(Path(folder) / STRUCTURE_FILE)
    try:
        structure = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise PrunedModelError(f"{path}: not valid JSON ({err.msg})") from err
    for key in ("heads", "ffn_dims", "decoder_layers_kept"):
        if key not in structure:
            raise PrunedModelError(f"{path}: no field {key!r}; expected a NASH structure file")
    if structure.get("format") != FORMAT:
        raise PrunedModelError(f"{path}: format {structure.get('format')!r}, expected {FORMAT}")
    return structure


def load_masks(folder: str | Path) -> dict[str, torch.Tensor]:
    """The gates saved with a pruned model (group -> ``float[L, width]``)."""
    return load_file(_require(Path(folder) / MASKS_FILE))


def load_pruned(folder: str | Path, device: str = "cpu") -> T5ForConditionalGeneration:
    """Rebuild the pruned model saved in ``folder`` (see :func:`save_pruned`), in eval mode.

    Raises:
        PrunedModelError: if a file is missing or malformed (the message names it).
    """
    folder = Path(folder)
    structure = read_structure(folder)
    config = T5Config.from_pretrained(_require(folder / "config.json").parent)
    model = T5ForConditionalGeneration(config)
    skipped = set(structure.get("skipped", []))
    for group in HEAD_GROUPS:
        for i, (module, kept) in enumerate(
            zip(_sublayer_modules(model, group), structure["heads"][group], strict=True)
        ):
            if f"{group}.{i}" in skipped or len(kept) != config.num_heads:
                gate = torch.zeros(config.num_heads)
                gate[torch.tensor(kept, dtype=torch.long)] = 1.0
                prune_attention(module, gate)
    for group in FFN_GROUPS:
        for i, (module, width) in enumerate(
            zip(_sublayer_modules(model, group), structure["ffn_dims"][group], strict=True)
        ):
            if f"{group}.{i}" in skipped or width != config.d_ff:
                gate = torch.zeros(config.d_ff)
                gate[:width] = 1.0
                prune_ffn(module, gate)
    skip_empty_sublayers(model)
    use_pruned_attention(model)
    missing, unexpected = load_model(model, str(_require(folder / WEIGHTS_FILE)), strict=False)
    if missing or unexpected:
        raise PrunedModelError(
            f"{folder / WEIGHTS_FILE}: weights do not match {STRUCTURE_FILE} "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
        )
    gen = folder / "generation_config.json"
    if gen.is_file():
        model.generation_config = GenerationConfig.from_pretrained(folder)
    return model.to(device).eval()
