"""The release's linear probe (``linear_probing/main.py``) on in-memory splits.

Same model, loss, optimiser, schedule and order of random draws as the release, so the
last-epoch top-1 matches it:

1. ``torch.manual_seed(1212)``, then ``nn.Linear(D, C)`` (its initialisation is the first
   draw from torch's global generator).
2. Each epoch: the training ``DataLoader`` draws its base seed and the sampler's seed
   (:func:`repro.twlv.official.draw_epoch_permutation`); batches of 1,024 in that
   permutation, the last partial one dropped. Before each step the learning rate is set as
   the release's ``create_scheduler`` sets it (per step: linear warm-up over 10 epochs, then
   cosine to 0); cross-entropy, ``Adam(lr=1e-3)``.
3. Every 10th epoch (and the last) the release validates, which draws one more base seed;
   we draw it too but validate only after the last epoch, one video at a time as the
   release does (its ``batch_size=1`` fixes the matmul shapes), and report that accuracy.

``clip`` mode: the release's dataset picks one random clip per training video with Python's
``random`` inside the DataLoader workers. Worker ``w`` is seeded ``base_seed + w`` each
epoch and serves batches ``w, w + W, ...`` (``W = --num_workers``, default 4); with
``W = 0`` the main process's ``random`` (seeded 1212, one draw already spent when the
dataset read its first item) picks instead. Validation averages the softmax over clips.

What differs: every file is read once, not once per epoch; intermediate validations are
skipped (their draws are not). On a CPU the result equals the release's run on a CPU; on a
GPU the release's floating-point sums differ, so its top-1 may differ by a video or so.
"""

from __future__ import annotations

import random
import time

import numpy as np
import torch
from torch import nn

from repro.twlv.official import RELEASE, OfficialProtocol, draw_epoch_permutation, draw_seed
from repro.twlv.splits import EmbeddingSplit


def release_lr(step: int, base_lr: float, warmup_steps: int, total_steps: int) -> float:
    """The learning rate the release's ``create_scheduler`` sets before ``step`` (min lr 0)."""
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    e, es = step - warmup_steps, total_steps - warmup_steps
    return 0.0 + 0.5 * (1 + np.cos(np.pi * e / es)) * (base_lr - 0.0)


class ReleaseAdam:
    """The update of ``torch.optim.Adam`` on a CPU (its ``_single_tensor_adam`` with the
    release's settings: betas (0.9, 0.999), eps 1e-8, no weight decay), op for op, so the
    weights stay bit-identical (tests/twlv/test_official_protocol.py checks it step by step).

    Why not ``torch.optim.Adam`` itself: constructing one imports ``torch._dynamo`` (2.3 s
    here) and its ``step`` adds Python bookkeeping to each of the 5,850 steps of a K400 run.
    """

    def __init__(self, params: list[torch.Tensor], betas=(0.9, 0.999), eps: float = 1e-8):
        self.params, self.betas, self.eps, self.steps = params, betas, eps, 0
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self, lr: float) -> None:
        """One update with learning rate ``lr``; then the gradients are cleared (set to None,
        as ``zero_grad`` does by default)."""
        self.steps += 1
        beta1, beta2 = self.betas
        step_size = lr / (1 - beta1 ** float(self.steps))
        bias_correction2_sqrt = (1 - beta2 ** float(self.steps)) ** 0.5
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq, strict=True):
            g = p.grad
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (v.sqrt() / bias_correction2_sqrt).add_(self.eps)
            p.addcdiv_(m, denom, value=-step_size)
            p.grad = None


class _ClipPicker:
    """Which clip of each training video the release's workers pick (``random.randint``)."""

    def __init__(self, counts: np.ndarray, seed: int, num_workers: int) -> None:
        self.counts, self.num_workers = counts, num_workers
        # num_workers = 0: the main process's random, seeded by the script; the training
        # dataset's constructor reads item 0 once (to learn D), spending one draw.
        self.main = random.Random(seed)
        self.main.randint(0, int(counts[0]) - 1)
        self.workers: list[random.Random] = []

    def new_epoch(self, base_seed: int) -> None:
        """Reseed the workers as ``torch.utils.data._utils.worker._worker_loop`` does."""
        self.workers = [random.Random(base_seed + w) for w in range(self.num_workers)]

    def pick(self, batch_index: int, videos: list[int]) -> list[int]:
        """The clip index per video of batch ``batch_index`` (batches go round-robin)."""
        rng = self.workers[batch_index % self.num_workers] if self.num_workers else self.main
        return [rng.randint(0, int(self.counts[v]) - 1) for v in videos]


def _train_features(train: EmbeddingSplit, embed_type: str, picker, batch_index, idx, out):
    """The batch's rows, gathered into ``out``: one buffer for every step, since a fresh
    4 MB array per step costs more in page faults than the copy itself."""
    if embed_type == "video":
        rows, source = idx, train.video
    else:
        rows = train.clip_offsets[idx] + np.asarray(picker.pick(batch_index, idx.tolist()))
        source = train.clips
    return torch.index_select(torch.from_numpy(source), 0, torch.from_numpy(rows), out=out)


@torch.no_grad()
def _validate(model: nn.Linear, val: EmbeddingSplit, embed_type: str) -> float:
    correct = 0
    for i in range(val.num_videos):
        if embed_type == "video":
            outputs = model(torch.from_numpy(val.video[i : i + 1]))
        else:
            x = torch.from_numpy(val.video_clips(i))[None]
            outputs = torch.softmax(model(x), dim=-1).mean(dim=1)
        _, predicted = torch.max(outputs.data, 1)
        correct += int(predicted.item() == val.labels[i])
    return 100.0 * correct / val.num_videos


def official_linear(
    train: EmbeddingSplit,
    val: EmbeddingSplit,
    num_classes: int,
    embed_type: str = "video",
    protocol: OfficialProtocol = RELEASE,
    source: str = "<splits>",
) -> dict[str, object]:
    """Last-epoch top-1 of the release's linear probe.

    Args:
        train: Training split in ``os.listdir`` order.
        val: Validation split in ``os.listdir`` order.
        num_classes: The release's ``dict_class_num`` entry (it shapes the initialisation).
        embed_type: ``video`` (``_v.npy``, the release's default) or ``clip``.
        protocol: Learning rate, epochs, warm-up, batch, seed, workers.
        source: Folder the splits came from (reported only).

    Returns:
        ``{"top1", "embed_type", "epochs", "steps", "seconds"}``.
    """
    if embed_type not in ("video", "clip"):
        raise ValueError(f"embed_type={embed_type!r}, expected 'video' or 'clip'")
    start = time.perf_counter()
    n, p = train.num_videos, protocol
    steps_per_epoch = n // p.linear_batch
    warmup, total = p.linear_warmup_epochs * steps_per_epoch, p.linear_epochs * steps_per_epoch
    labels = torch.from_numpy(train.labels)
    picker = _ClipPicker(np.diff(train.clip_offsets), p.linear_seed, p.num_workers)
    buffer = torch.empty(p.linear_batch, train.dim)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(p.linear_seed)
        model = nn.Linear(train.dim, num_classes)
        criterion = nn.CrossEntropyLoss()
        optimizer = ReleaseAdam(list(model.parameters()))  # Adam(lr=p.linear_lr), exactly
        for epoch in range(p.linear_epochs):
            base_seed, perm = draw_epoch_permutation(n)
            picker.new_epoch(base_seed)
            for i in range(steps_per_epoch):
                idx = perm[i * p.linear_batch : (i + 1) * p.linear_batch].numpy()
                x = _train_features(train, embed_type, picker, i, idx, buffer)
                lr = release_lr(i + epoch * steps_per_epoch, p.linear_lr, warmup, total)
                criterion(model(x), labels[idx]).backward()
                optimizer.step(lr)
            if (epoch + 1) % p.linear_val_interval == 0 or epoch + 1 == p.linear_epochs:
                draw_seed()  # the validation DataLoader's base seed
        top1 = _validate(model, val, embed_type)
    return {
        "top1": top1,
        "embed_type": embed_type,
        "epochs": p.linear_epochs,
        "steps": p.linear_epochs * steps_per_epoch,
        "source": source,
        "seconds": round(time.perf_counter() - start, 3),
    }
