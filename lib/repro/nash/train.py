"""Training loops for the offline tier: fine-tuning, and pruning with L0 masks.

The pruning loop follows the release's ``NashTrainer``: each step samples
hard-concrete masks, adds the Lagrangian penalty on the expected sparsity to the
task loss, updates the model with AdamW (lr), the mask log-alphas with AdamW
(``reg_lr``) and the multipliers by gradient ascent, then clips the log-alphas.
With ``distill=True`` the task loss is the paper's combination of prediction-layer
distillation (KL at temperature T) and hidden-state distillation (MSE between
matching blocks of student and teacher); the release leaves this switched off
and trains on token cross-entropy only (``distill=False``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import T5ForConditionalGeneration

from repro.nash.autoselect import BlockGates, block_masks
from repro.nash.controller import LagrangianController, ramped_target
from repro.nash.masks import L0Masks, apply_masks
from repro.nash.synthetic import Seq2SeqBatch


@dataclass(frozen=True)
class DistillConfig:
    """Weights of the distillation terms (used when pruning with ``distill=True``)."""

    kd_alpha: float = 0.5  # weight of the KL term; the cross-entropy gets 1 - kd_alpha
    temperature: float = 2.0  # release flag --distill_temp 2
    hidden_weight: float = 1.0  # weight of the mean hidden-state MSE


@dataclass(frozen=True)
class PruneConfig:
    """One pruning run: target, schedule and learning rates."""

    target_sparsity: float
    steps: int
    warmup_steps: int  # Lagrangian target ramp length
    lr: float = 1e-3
    reg_lr: float = 0.01  # release: learning rate of log-alphas and multipliers
    batch_size: int = 32
    distill: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.target_sparsity < 1.0:
            raise ValueError(f"target_sparsity must be in [0, 1), got {self.target_sparsity}")
        if self.steps < 1 or self.warmup_steps < 0:
            raise ValueError("need steps >= 1 and warmup_steps >= 0")


def _batches(data: Seq2SeqBatch, batch_size: int, steps: int, seed: int, device=None):
    gen = torch.Generator().manual_seed(int(seed))
    n = len(data)
    for _ in range(steps):
        # A CPU generator draws the indices (same batches on every device), then they go
        # where the data is.
        idx = torch.randint(0, n, (min(batch_size, n),), generator=gen, device="cpu")
        batch = data.subset(idx.to(data.device))
        yield batch if device is None else batch.to(device)


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def _trainable(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    # Embeddings stay frozen while pruning, as in the release.
    return [p for n, p in model.named_parameters() if "shared" not in n and "embed" not in n]


def finetune(
    model: T5ForConditionalGeneration,
    data: Seq2SeqBatch,
    *,
    steps: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> list[float]:
    """Train ``model`` in place on token cross-entropy; returns the loss per step."""
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    # Linear decay to 0 without warm-up, the release's schedule.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 - step / steps)
    losses = []
    for batch in _batches(data, batch_size, steps, seed, _device(model)):
        loss = model(
            input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels
        ).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    model.eval()
    return losses


def distillation_loss(
    student_out,
    teacher_out,
    labels: torch.Tensor,
    decoder_map: list[int],
    cfg: DistillConfig,
) -> torch.Tensor:
    """``(1 - a) CE + a T^2 KL(teacher_T || student_T) + w * hidden MSE``.

    Args:
        student_out / teacher_out: Model outputs with ``output_hidden_states=True``.
        labels: ``int64[n, T]``, -100 at padding (excluded from KL and MSE).
        decoder_map: Teacher decoder block of each student decoder block (the
            kept indices); encoder blocks are matched one to one.
    """
    valid = (labels != -100).unsqueeze(-1).float()  # [n, T, 1]
    t = cfg.temperature
    log_p_s = F.log_softmax(student_out.logits / t, dim=-1)
    p_t = F.softmax(teacher_out.logits / t, dim=-1)
    kl = (p_t * (torch.log(p_t.clamp_min(1e-12)) - log_p_s) * valid).sum() / valid.sum()
    mse_terms = []
    for i, j in enumerate(decoder_map):
        diff = student_out.decoder_hidden_states[i + 1] - teacher_out.decoder_hidden_states[j + 1]
        mse_terms.append(((diff**2) * valid).sum() / (valid.sum() * diff.shape[-1]))
    for s_h, t_h in zip(
        student_out.encoder_hidden_states[1:], teacher_out.encoder_hidden_states[1:], strict=True
    ):
        mse_terms.append(F.mse_loss(s_h, t_h))
    hidden = torch.stack(mse_terms).mean()
    return (
        (1 - cfg.kd_alpha) * student_out.loss
        + cfg.kd_alpha * t * t * kl
        + cfg.hidden_weight * hidden
    )


def prune_train(
    model: T5ForConditionalGeneration,
    masks: L0Masks,
    data: Seq2SeqBatch,
    cfg: PruneConfig,
    *,
    prunable: int,
    seed: int,
    teacher: T5ForConditionalGeneration | None = None,
    decoder_map: list[int] | None = None,
    distill_cfg: DistillConfig = DistillConfig(),
    block_gates: BlockGates | None = None,
    decoder_target: float = 0.0,
) -> list[dict]:
    """Train ``model`` and ``masks`` in place towards ``cfg.target_sparsity``.

    Args:
        prunable: Denominator of the expected sparsity (encoder prunable
            parameters for NASH, all prunable parameters for CoFi).
        teacher: Unpruned model; required when ``cfg.distill``.
        decoder_map: Teacher decoder block for each student block.
        block_gates: Learned decoder-layer selection
            (:mod:`repro.nash.autoselect`): one gate per decoder block, pushed towards
            ``decoder_target`` (ramped like the encoder's) by a second penalty with the
            same multipliers, as the release's ``auto_select`` does.

    Returns:
        One record per step: ``step``, ``target``, ``expected_sparsity``,
        ``lambda_1``, ``lambda_2``, ``loss``, ``lagrangian`` (and
        ``decoder_expected_sparsity`` with ``block_gates``).
    """
    if cfg.distill and (teacher is None or decoder_map is None):
        raise ValueError("prune_train: distill=True needs a teacher and a decoder_map")
    controller = LagrangianController(device=_device(model))
    masks.to(_device(model))
    opt_model = torch.optim.AdamW(_trainable(model), lr=cfg.lr, weight_decay=0.0)
    gate_params = [] if block_gates is None else list(block_gates.to(_device(model)).parameters())
    opt_reg = torch.optim.AdamW(
        [*masks.parameters(), *gate_params, *controller.parameters()],
        lr=cfg.reg_lr,
        weight_decay=0.0,
    )
    gen = torch.Generator().manual_seed(int(seed) + 1)
    model.train()
    history = []
    for step, batch in enumerate(_batches(data, cfg.batch_size, cfg.steps, seed, _device(model))):
        target = ramped_target(step, cfg.target_sparsity, cfg.warmup_steps)
        z = masks.sample(gen)
        if block_gates is not None:
            z.update(block_masks(block_gates.sample(gen), model.config))
        inputs = {
            "input_ids": batch.input_ids,
            "attention_mask": batch.attention_mask,
            "labels": batch.labels,
        }
        with apply_masks(model, z):
            out = model(**inputs, output_hidden_states=cfg.distill)
        if cfg.distill:
            with torch.no_grad():
                t_out = teacher(**inputs, output_hidden_states=True)
            task_loss = distillation_loss(out, t_out, batch.labels, decoder_map, distill_cfg)
        else:
            task_loss = out.loss
        exp_sparsity = 1.0 - masks.expected_remaining() / prunable
        lag = controller(exp_sparsity, target)
        record = {}
        if block_gates is not None:
            dec_sparsity = block_gates.expected_sparsity()
            dec_target = ramped_target(step, decoder_target, cfg.warmup_steps)
            lag = lag + controller(dec_sparsity, dec_target)
            record = {"decoder_expected_sparsity": dec_sparsity.item()}
        loss = task_loss + lag
        opt_model.zero_grad()
        opt_reg.zero_grad()
        loss.backward()
        controller.ascend_()
        opt_model.step()
        opt_reg.step()
        masks.constrain_()
        if block_gates is not None:
            block_gates.constrain_()
        history.append(
            {
                "step": step,
                "target": target,
                "expected_sparsity": exp_sparsity.item(),
                "lambda_1": controller.lambda_1.item(),
                "lambda_2": controller.lambda_2.item(),
                "loss": task_loss.item(),
                "lagrangian": lag.item(),
                **record,
            }
        )
    model.eval()
    return history


@torch.no_grad()
def greedy_decode(
    model: T5ForConditionalGeneration,
    data: Seq2SeqBatch,
    max_new_tokens: int,
    batch_size: int = 256,
) -> torch.Tensor:
    """``int64[n, <= max_new_tokens + 1]`` greedy outputs (start token first), stopping at EOS."""
    outs = []
    for start in range(0, len(data), batch_size):
        idx = torch.arange(start, min(start + batch_size, len(data)), device=data.device)
        b = data.subset(idx).to(_device(model))
        o = model.generate(
            b.input_ids,
            attention_mask=b.attention_mask,
            max_new_tokens=max_new_tokens,
            do_sample=False,
        )
        outs.append(F.pad(o, (0, max_new_tokens + 1 - o.shape[1]), value=0).cpu())
    return torch.cat(outs)
