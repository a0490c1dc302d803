"""``repro nash prune``: NASH applied to a user's own Hugging Face T5 and data, saved to keep.

The checkpoint is the teacher and the starting point, as in the release (the fine-tuned
model is both, ``model_path = distillation_path``). The pipeline is the library's NASH
method (:func:`repro.nash.methods.compress_keeping`): uniform decoder shortening to k
blocks, hard-concrete masks on the encoder's heads and FFN dimensions driven to the
target by the Lagrangian controller, physical pruning, a short fine-tune. The result is
written by :func:`repro.nash.export.save_pruned` together with the greedy generations of
the in-memory model on the evaluation split, so that :func:`repro.nash.export.load_pruned`
can be checked against them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch

from repro.core.atomic import atomic_write_text
from repro.core.errors import InputError
from repro.nash.arch import count_parameters
from repro.nash.config import PruningConfig
from repro.nash.data import SUMMARISATION, read_summarisation_file, tokenize
from repro.nash.export import save_pruned
from repro.nash.methods import Method, compress_keeping
from repro.nash.paper import GENERATION_LENGTH, default_eval_split, score
from repro.nash.prune import structure
from repro.nash.runner import experiment_config, resolve_device, set_threads
from repro.nash.sparsity import achieved_sparsity
from repro.nash.train import greedy_decode

TASKS = tuple(SUMMARISATION)
GENERATIONS_FILE = "generations.json"
CHECKPOINT_FILES = ("config.json", "model.safetensors")
TOKENIZER_FILES = ("tokenizer.json", "spiece.model")


class PruneInputError(InputError):
    """A checkpoint folder or data file given to ``repro nash prune`` is unusable."""


def check_checkpoint(folder: Path) -> Path:
    """``folder`` if it holds a safetensors T5 checkpoint and a tokenizer; else a one-line error."""
    for name in CHECKPOINT_FILES:
        if not (folder / name).is_file():
            raise PruneInputError(
                f"{folder / name}: missing; expected a Hugging Face T5 checkpoint folder "
                f"({', '.join(CHECKPOINT_FILES)} and a tokenizer)"
            )
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise PruneInputError(
            f"{folder / TOKENIZER_FILES[0]}: missing; expected a tokenizer "
            f"({' or '.join(TOKENIZER_FILES)}) in the checkpoint folder"
        )
    return folder


def task_file(data: Path, task: str, split: str) -> Path:
    """The ``split`` file of ``task`` in ``data`` (the task's folder, or a data root above it)."""
    folder, pattern, *_ = SUMMARISATION[task]
    name = pattern.format(split=split)
    candidates = [data / name, data / folder / name, data / "nash" / folder / name]
    for path in candidates:
        if path.is_file():
            return path
    _, _, _, src, tgt = SUMMARISATION[task]
    raise PruneInputError(
        f"{candidates[0]}: missing; expected the {task} {split!r} split with fields "
        f"{src!r}, {tgt!r} (release format)"
    )


def read_task(data: Path, task: str, split: str):
    """The examples of one split; a malformed file gives a one-line error naming it."""
    path = task_file(data, task, split)
    try:
        examples = read_summarisation_file(task, path)
    except (ValueError, OSError) as err:
        msg = str(err)
        raise PruneInputError(msg if str(path) in msg else f"{path}: {msg}") from err
    if not examples:
        raise PruneInputError(f"{path}: no examples; expected at least one")
    return examples


def load_user_checkpoint(folder: Path):
    """``(model, tokenizer)`` from a checked checkpoint folder, loaded quietly."""
    from transformers import AutoTokenizer, T5ForConditionalGeneration
    from transformers.utils import logging as hf_logging

    check_checkpoint(folder)
    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = T5ForConditionalGeneration.from_pretrained(folder).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError) as err:
        raise PruneInputError(f"{folder}: not a loadable T5 checkpoint ({err})") from err
    finally:
        if shown:
            hf_logging.enable_progress_bar()
    return model, tokenizer


def prune_checkpoint(
    checkpoint: str | Path,
    data: str | Path,
    out: str | Path,
    cfg: PruningConfig,
    *,
    task: str = "samsum",
    distill: bool = True,
    n_train: int = 0,
    gen_len: int = 0,
    seed: int = 0,
) -> dict:
    """Prune the T5 in ``checkpoint`` on ``data`` with NASH(``cfg``) and save it in ``out``.

    Args:
        checkpoint: Hugging Face T5 folder (``config.json``, ``model.safetensors``, tokenizer).
        data: Folder with the task's release files (``train.json``, ``val.json`` for SAMSum).
        out: Output folder (see :mod:`repro.nash.export`).
        cfg: Settings; the fields used are the compression, training, length, device and
            ``n_eval`` fields (the synthetic-task fields are ignored).
        task: A summarisation dataset of :data:`repro.nash.data.SUMMARISATION`.
        distill: Distil from the checkpoint while pruning (the paper) or not (the release).
        n_train: Training examples used (0: all).
        gen_len: Generated tokens for the evaluation (0: the release's length for the task).
        seed: Seed of masks, batches and fine-tuning.

    Returns:
        The report also stored under ``info`` in ``nash_structure.json``.
    """
    if task not in TASKS:
        raise PruneInputError(f"--task {task!r}: expected one of {TASKS}")
    checkpoint, data, out = Path(checkpoint), Path(data), Path(out)
    set_threads(cfg.threads)
    teacher, tok = load_user_checkpoint(checkpoint)
    depth = teacher.config.num_decoder_layers
    if not 1 <= cfg.decoder_layers <= depth:
        raise PruneInputError(
            f"{checkpoint / 'config.json'}: the decoder has {depth} blocks; "
            f"--decoder-layers {cfg.decoder_layers} must be in [1, {depth}]"
        )
    train_ex = read_task(data, task, "train")[: n_train or None]
    eval_ex = read_task(data, task, default_eval_split(task))[: cfg.n_eval or None]
    train = tokenize(train_ex, tok, cfg.max_source_len_tokens, cfg.max_target_len_tokens)
    evald = tokenize(eval_ex, tok, cfg.max_source_len_tokens, cfg.max_target_len_tokens)
    exp = dataclasses.replace(experiment_config(cfg), num_layers=depth)
    device = resolve_device(cfg.device)
    teacher = teacher.to(device)
    method = Method.NASH if distill else Method.NASH_NO_DISTILL
    result = compress_keeping(method, teacher, train, exp, seed)
    gen_len = gen_len or GENERATION_LENGTH.get(task, 128)
    with torch.no_grad():
        preds = tok.batch_decode(
            greedy_decode(result.model, evald, max_new_tokens=gen_len, batch_size=32),
            skip_special_tokens=True,
        )
    report = {
        "checkpoint": str(checkpoint),
        "task": task,
        "method": method.value,
        "seed": seed,
        "encoder_sparsity_target": cfg.encoder_sparsity,
        "decoder_layers": cfg.decoder_layers,
        "steps": {"prune": cfg.prune_steps, "warmup": cfg.warmup_steps, "final": cfg.final_steps},
        "n_train": len(train_ex),
        "n_eval": len(eval_ex),
        "gen_len": gen_len,
        "params_full": count_parameters(teacher)["total"],
        "params_pruned": count_parameters(result.model)["total"],
        **achieved_sparsity(structure(result.model), teacher.config),
        "scores": score(task, preds, eval_ex),
    }
    save_pruned(
        result.model.cpu(),
        out,
        decoder_layers_kept=result.decoder_layers_kept,
        masks=result.masks,
        tokenizer=tok,
        info=report,
    )
    atomic_write_text(out / GENERATIONS_FILE, json.dumps(preds, indent=1) + "\n")
    return report
