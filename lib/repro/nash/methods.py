"""NASH and its baselines on the synthetic task: one function per method, one experiment runner.

Methods (all start from the same trained teacher of a seed):

- ``nash``: uniform decoder shortening to k blocks, hard-concrete masks on the
  encoder's heads and FFN dimensions with target sparsity s, pruning with
  distillation from the teacher (the paper's description), physical pruning,
  final fine-tuning.
- ``nash_no_distill``: the same with cross-entropy only, as the release runs.
- ``cofi``: CoFi-style masks on both stacks (heads, FFN dims and whole
  sublayers; no hidden-dimension masks), one global target over all prunable
  parameters, set to NASH's overall sparsity so the two are equally small.
- ``decoder_only``: decoder shortening to k, then fine-tuning for as many steps as
  the others prune and fine-tune (equal optimiser budget).
- ``encoder_only``: encoder masks with target s, full decoder.
- ``full``: the teacher, trained for as many extra steps as the others get
  (pruning + final fine-tune), uncompressed: the quality and speed reference.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from transformers import T5ForConditionalGeneration

from repro.core.seeding import derive_seed
from repro.nash.arch import random_t5, tiny_t5_config
from repro.nash.autoselect import BlockGates, decoder_target
from repro.nash.config import Method
from repro.nash.layers import LayerSelection, select_decoder_layers, shorten_decoder
from repro.nash.masks import DECODER_GROUPS, ENCODER_GROUPS, L0Masks, fit_to_target
from repro.nash.metrics import rouge
from repro.nash.prune import prune_model
from repro.nash.sparsity import decoder_prunable, encoder_prunable
from repro.nash.synthetic import Seq2SeqBatch, SyntheticTask, ids_to_text
from repro.nash.train import DistillConfig, PruneConfig, finetune, greedy_decode, prune_train

#: Decoder-layer selections: the release's fixed rules and its learned ("auto") one.
SELECTIONS = (*(m.value for m in LayerSelection), "learned")


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything one synthetic pruning experiment needs (one seed)."""

    task: SyntheticTask = field(default_factory=SyntheticTask)
    d_model: int = 64
    d_ff: int = 256
    num_heads: int = 4
    num_layers: int = 4  # encoder and decoder depth of the teacher
    n_train: int = 4000
    n_test: int = 300
    teacher_steps: int = 600
    prune_steps: int = 300
    warmup_steps: int = 150  # Lagrangian ramp (the release ramps over half the pruning run)
    final_steps: int = 200
    lr: float = 3e-3
    prune_lr: float = 1e-3
    final_lr: float | None = None  # final fine-tune learning rate (None = prune_lr)
    reg_lr: float = 0.05
    batch_size: int = 32
    encoder_sparsity: float = 0.5
    decoder_layers: int = 1
    layer_selection: str = "unif"  # which k decoder blocks: unif, low, high or learned
    fit_masks: bool = False  # final masks fitted to the target size (masks.fit_to_target)
    distill: DistillConfig = field(default_factory=DistillConfig)
    latency_batch: int = 32
    latency_repeats: int = 5
    device: str = "cpu"  # where the teacher is trained; every model stays there

    def __post_init__(self) -> None:
        if not 1 <= self.decoder_layers <= self.num_layers:
            raise ValueError(f"decoder_layers={self.decoder_layers} not in [1, {self.num_layers}]")
        if not 0.0 <= self.encoder_sparsity < 1.0:
            raise ValueError(f"encoder_sparsity={self.encoder_sparsity} not in [0, 1)")
        if self.layer_selection not in SELECTIONS:
            raise ValueError(f"layer_selection={self.layer_selection!r} not in {SELECTIONS}")

    def model_config(self):
        return tiny_t5_config(
            vocab_size=self.task.vocab_size,
            d_model=self.d_model,
            d_ff=self.d_ff,
            num_heads=self.num_heads,
            num_layers=self.num_layers,
        )

    def cofi_target(self) -> float:
        """NASH's overall prunable sparsity, used as CoFi's single target."""
        return cofi_target(self.model_config(), self.encoder_sparsity, self.decoder_layers)


def cofi_target(config, encoder_sparsity: float, decoder_layers: int) -> float:
    """Overall prunable sparsity of NASH(s, k): CoFi's global target for an equally small model."""
    enc, dec = encoder_prunable(config), decoder_prunable(config)
    kept = (1 - encoder_sparsity) * enc + decoder_prunable(config, decoder_layers)
    return 1.0 - kept / (enc + dec)


def train_teacher(
    cfg: ExperimentConfig, train: Seq2SeqBatch, seed: int
) -> T5ForConditionalGeneration:
    """A tiny T5 trained from scratch on the synthetic task."""
    model = random_t5(cfg.model_config(), seed=derive_seed(seed, "init")).to(cfg.device).train()
    finetune(
        model,
        train,
        steps=cfg.teacher_steps,
        lr=cfg.lr,
        batch_size=cfg.batch_size,
        seed=derive_seed(seed, "teacher"),
    )
    return model.eval()


def _masked_run(
    student,
    teacher,
    train,
    cfg: ExperimentConfig,
    seed: int,
    *,
    groups,
    layer_gates,
    target,
    prunable,
    decoder_map,
    distill,
    block_gates=None,
):
    masks = L0Masks(
        student.config, groups, layer_gates=layer_gates, seed=derive_seed(seed, "masks")
    )
    pcfg = PruneConfig(
        target_sparsity=target,
        steps=cfg.prune_steps,
        warmup_steps=cfg.warmup_steps,
        lr=cfg.prune_lr,
        reg_lr=cfg.reg_lr,
        batch_size=cfg.batch_size,
        distill=distill,
    )
    history = prune_train(
        student,
        masks,
        train,
        pcfg,
        prunable=prunable,
        seed=derive_seed(seed, "prune"),
        teacher=teacher,
        decoder_map=decoder_map,
        distill_cfg=cfg.distill,
        block_gates=block_gates,
        decoder_target=decoder_target(cfg.decoder_layers, student.config.num_decoder_layers),
    )
    gates = fit_to_target(masks, prunable, target) if cfg.fit_masks else masks.deterministic()
    return prune_model(student, gates), history, gates


def training_steps(method: Method | str, cfg: ExperimentConfig) -> int:
    """Optimiser steps ``method`` gets after the teacher: the same for every method.

    Masked methods prune for ``prune_steps`` and fine-tune for ``final_steps``; ``full``
    and ``decoder_only`` fine-tune for the sum (issue 13: equal budgets).
    """
    Method(method)
    return cfg.prune_steps + cfg.final_steps


@dataclass
class Compressed:
    """A compressed model with what produced it (the pieces :mod:`repro.nash.export` saves)."""

    model: T5ForConditionalGeneration
    history: list[dict]
    masks: dict[str, torch.Tensor] | None  # deterministic gates folded in (None: no masks)
    decoder_layers_kept: list[int]  # indices of the teacher's decoder blocks kept


def compress(
    method: Method | str,
    teacher: T5ForConditionalGeneration,
    train: Seq2SeqBatch,
    cfg: ExperimentConfig,
    seed: int,
) -> tuple[T5ForConditionalGeneration, list[dict]]:
    """Apply ``method`` to a copy of ``teacher``; return the final model and pruning history."""
    out = compress_keeping(method, teacher, train, cfg, seed)
    return out.model, out.history


def compress_keeping(
    method: Method | str,
    teacher: T5ForConditionalGeneration,
    train: Seq2SeqBatch,
    cfg: ExperimentConfig,
    seed: int,
    cofi_target_sparsity: float | None = None,
) -> Compressed:
    """:func:`compress`, also returning the masks and the kept decoder blocks.

    Args:
        cofi_target_sparsity: CoFi's global target (default: NASH's nominal overall
            sparsity, :func:`cofi_target`); the study passes NASH's *achieved* one.
    """
    method = Method(method)
    if cfg.layer_selection == "learned" and method in (Method.NASH, Method.NASH_NO_DISTILL):
        return _learned(method, teacher, train, cfg, seed)
    all_layers = list(range(teacher.config.num_decoder_layers))
    if method is Method.FULL:  # same extra training as the others get, no compression
        model = copy.deepcopy(teacher)
        finetune(
            model,
            train,
            steps=cfg.prune_steps + cfg.final_steps,
            lr=cfg.prune_lr,
            batch_size=cfg.batch_size,
            seed=derive_seed(seed, "final", method.value),
        )
        return Compressed(model.eval(), [], None, all_layers)
    mcfg = teacher.config
    selection = "unif" if cfg.layer_selection == "learned" else cfg.layer_selection
    keep = select_decoder_layers(mcfg.num_decoder_layers, cfg.decoder_layers, selection)
    enc = encoder_prunable(mcfg)
    history: list[dict] = []
    gates = None
    if method is Method.DECODER_ONLY:
        model = shorten_decoder(teacher, keep)
    elif method in (Method.NASH, Method.NASH_NO_DISTILL):
        model, history, gates = _masked_run(
            shorten_decoder(teacher, keep),
            teacher,
            train,
            cfg,
            seed,
            groups=ENCODER_GROUPS,
            layer_gates=False,
            target=cfg.encoder_sparsity,
            prunable=enc,
            decoder_map=keep,
            distill=method is Method.NASH,
        )
    elif method is Method.ENCODER_ONLY:
        full_map = list(range(mcfg.num_decoder_layers))
        keep = all_layers
        model, history, gates = _masked_run(
            copy.deepcopy(teacher),
            teacher,
            train,
            cfg,
            seed,
            groups=ENCODER_GROUPS,
            layer_gates=False,
            target=cfg.encoder_sparsity,
            prunable=enc,
            decoder_map=full_map,
            distill=False,
        )
    else:  # CoFi: both stacks, layer gates, one global target
        full_map = list(range(mcfg.num_decoder_layers))
        keep = all_layers
        model, history, gates = _masked_run(
            copy.deepcopy(teacher),
            teacher,
            train,
            cfg,
            seed,
            groups=ENCODER_GROUPS + DECODER_GROUPS,
            layer_gates=True,
            target=cofi_target(mcfg, cfg.encoder_sparsity, cfg.decoder_layers)
            if cofi_target_sparsity is None
            else cofi_target_sparsity,
            prunable=enc + decoder_prunable(mcfg),
            decoder_map=full_map,
            distill=False,
        )
    # Decoder-only has no pruning phase: it fine-tunes for the whole budget instead.
    extra = cfg.prune_steps if method is Method.DECODER_ONLY else 0
    _final(model, train, cfg, seed, method, extra)
    return Compressed(model.eval(), history, gates, keep)


def _final(model, train, cfg: ExperimentConfig, seed: int, method: Method, extra: int = 0) -> None:
    finetune(
        model,
        train,
        steps=cfg.final_steps + extra,
        lr=cfg.prune_lr if cfg.final_lr is None else cfg.final_lr,
        batch_size=cfg.batch_size,
        seed=derive_seed(seed, "final", method.value),
    )


def _learned(method: Method, teacher, train, cfg: ExperimentConfig, seed: int) -> Compressed:
    """NASH with learned decoder-layer selection (:mod:`repro.nash.autoselect`).

    The full-depth student prunes its encoder (fine masks, target s) and learns one gate
    per decoder block (target 1 - k/L); then the encoder is pruned physically and the k
    blocks with the largest gates are kept, and the model is fine-tuned as NASH is.
    """
    all_layers = list(range(teacher.config.num_decoder_layers))
    gates_dec = BlockGates(teacher.config, seed=derive_seed(seed, "block_gates"))
    model, history, gates = _masked_run(
        copy.deepcopy(teacher),
        teacher,
        train,
        cfg,
        seed,
        groups=ENCODER_GROUPS,
        layer_gates=False,
        target=cfg.encoder_sparsity,
        prunable=encoder_prunable(teacher.config),
        decoder_map=all_layers,
        distill=method is Method.NASH,
        block_gates=gates_dec,
    )
    keep = gates_dec.keep(cfg.decoder_layers)
    model = shorten_decoder(model, keep)
    _final(model, train, cfg, seed, method)
    return Compressed(model.eval(), history, gates, keep)


def evaluate(
    model: T5ForConditionalGeneration, test: Seq2SeqBatch, task: SyntheticTask
) -> dict[str, float]:
    """ROUGE-1/2/L and exact match of greedy outputs on ``test``."""
    out = greedy_decode(model, test, max_new_tokens=task.max_target_len + 1)
    preds = [ids_to_text(o[1:]) for o in out]
    refs = [ids_to_text(lab) for lab in test.labels]
    scores = rouge(preds, refs, use_stemmer=False)
    scores["exact_match"] = sum(p == r for p, r in zip(preds, refs, strict=True)) / len(refs)
    return scores


def kept_method(methods: list[str]) -> str | None:
    """The method whose model a run saves for the user: NASH (or NASH without distillation)."""
    return next((m for m in (Method.NASH, Method.NASH_NO_DISTILL) if m in methods), None)


def save_compressed(result: Compressed, save_dir, tokenizer=None, info: dict | None = None) -> None:
    """Save a compressed model with :func:`repro.nash.export.save_pruned`."""
    from repro.nash.export import save_pruned

    save_pruned(
        copy.deepcopy(result.model).cpu(),
        save_dir,
        decoder_layers_kept=result.decoder_layers_kept,
        masks=result.masks,
        tokenizer=tokenizer,
        info=info,
    )
