"""A video encoder that learns motion from unlabelled clips: the arrow-consistency pretext.

The paper's claim (Sec. 1, Fig. 2) is that video-native pretraining captures motion that
image-style features miss. At CPU scale a masked-modelling transformer learns no motion in
a few hundred steps (see :class:`repro.twlv.encoders.VideoMAEEncoder`), so this encoder
uses a temporal objective in the family of frame-order and arrow-of-time pretexts
(Misra et al. 2016, "Shuffle and Learn"; Wei et al. 2018, "Learning and Using the Arrow of
Time"):

* draw an unlabelled training video and two windows of ``frames`` frames from it, ``B``
  starting 1-``max_gap`` frames after ``A`` (both played forwards or both backwards);
* embed ``A``, ``B`` and ``B`` played backwards with the same small 3-D CNN;
* score ``s(A, X) = sum_j w_j a_j x_j`` on batch-standardised embeddings and minimise the
  cross-entropy of choosing ``B`` over its reversal.

``B`` and its reversal hold the same frames, so appearance cancels from
``s(A, B) - s(A, reversed B)``: only features that depend on the order of frames can solve
the task. A single clip's direction cannot be told from its reversal on this data (a
sprite moving up, reversed, is a sprite moving down), so the pretext is about consistency
between two windows, never about an absolute arrow. No label of the benchmark is used:
the pair is defined by time order inside one unlabelled video.

Its held-out pretext accuracy (:meth:`TemporalOrderEncoder.pretext_accuracy`, chance 50 %)
checks that it learned something.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger(__name__)


def _to_float(videos: np.ndarray, pool: int) -> torch.Tensor:
    """uint8[n, T, H, W, 3] -> float32[n, 3, T, H/pool, W/pool] in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(videos)).permute(0, 4, 1, 2, 3).float() / 255.0
    return F.avg_pool3d(x, (1, pool, pool)) if pool > 1 else x


def _standardize(z: torch.Tensor) -> torch.Tensor:
    """Per-feature standardisation over the batch (the pretext head's input)."""
    return (z - z.mean(0)) / (z.std(0) + 1e-5)


class _VideoCNN(nn.Module):
    """Three space-time convolutions; embedding = mean and max over space and time."""

    def __init__(self, channels: tuple[int, int, int], pad_time: int) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.layers = nn.Sequential(
            nn.Conv3d(3, c1, (3, 5, 5), stride=(1, 2, 2), padding=(0, 2, 2)),
            nn.ReLU(),
            nn.Conv3d(c1, c2, 3, stride=1, padding=(pad_time, 1, 1)),
            nn.ReLU(),
            nn.Conv3d(c2, c3, 3, stride=(1, 2, 2), padding=(pad_time, 1, 1)),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """float[n, 3, T, H, W] -> float[n, 2 * c3]."""
        h = self.layers(x)
        return torch.cat([h.mean((2, 3, 4)), h.amax((2, 3, 4))], dim=1)


class TemporalOrderEncoder:
    """Small 3-D CNN trained label-blind by the arrow-consistency pretext (see module doc).

    Args:
        frames: Clip length T it embeds (and the pretext's window length); T >= 3.
        size: Frame side; frames are average-pooled by 2 first when ``size >= 32``.
        channels: Widths of the three convolutions; the embedding has ``2 * channels[-1]``.
        max_gap: Largest offset, in frames, between the two windows of a pretext pair.
        seed: Seeds initialisation and the pretext's draws.
    """

    name = "video CNN (temporal-order pretext)"

    def __init__(
        self,
        frames: int,
        size: int,
        channels: tuple[int, int, int] = (16, 32, 64),
        max_gap: int = 4,
        seed: int = 0,
    ) -> None:
        if frames < 3:
            raise ValueError(f"frames={frames}: the encoder needs clips of >= 3 frames")
        self.frames, self.max_gap, self.seed = frames, max_gap, seed
        self.pool = 2 if size >= 32 else 1
        torch_state = torch.random.get_rng_state()
        try:
            # nn.Module initialisers draw from the global generator: seed it locally and
            # restore it so that callers' global random state is untouched.
            torch.manual_seed(seed)
            # Clips of >= 7 frames need no time padding (three valid 3-frame convolutions),
            # which halves the cost; shorter clips (the smoke profile's) are padded.
            self.model = _VideoCNN(channels, pad_time=0 if frames >= 7 else 1)
        finally:
            torch.random.set_rng_state(torch_state)
        self.head = torch.ones(2 * channels[-1], requires_grad=True)
        self.losses: list[float] = []
        self.train_accuracy: list[float] = []

    def _pairs(
        self, videos: torch.Tensor, count: int, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Windows A and B (float[count, 3, T, H, W]) of random videos, B later than A."""
        n, length, t = videos.shape[0], videos.shape[2], self.frames
        gap_max = min(self.max_gap, length - t)
        if gap_max < 1:
            raise ValueError(f"videos of {length} frames are too short for {t}-frame pairs")
        idx = torch.randint(0, n, (count,), generator=gen)
        gap = torch.randint(1, gap_max + 1, (count,), generator=gen)
        first = (torch.rand(count, generator=gen) * (length - t - gap + 1)).long()
        backwards = torch.rand(count, generator=gen) < 0.5
        ta, tb = first[:, None] + torch.arange(t), (first + gap)[:, None] + torch.arange(t)
        # Playing the whole video backwards keeps the pair consistent (B still follows A).
        ta = torch.where(backwards[:, None], tb.flip(1), ta)
        tb = torch.where(backwards[:, None], (first[:, None] + torch.arange(t)).flip(1), tb)
        take = lambda times: videos[idx[:, None], :, times].permute(0, 2, 1, 3, 4)  # noqa: E731
        return take(ta), take(tb)

    def _scores(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pretext scores s(A, B) and s(A, reversed B), float[count] each."""
        z = _standardize(self.model(torch.cat([a, b, b.flip(2)])))
        za, zb, zr = z.chunk(3)
        scale = self.head / z.shape[1]
        return (za * zb * scale).sum(1), (za * zr * scale).sum(1)

    def fit(
        self,
        videos: np.ndarray,
        steps: int,
        batch_size: int = 32,
        lr: float = 3e-3,
        num_threads: int | None = 1,
    ) -> None:
        """Train on unlabelled whole videos uint8[n, L, H, W, 3] (L > frames).

        Args:
            videos: Training videos, no labels.
            steps: Optimisation steps.
            batch_size: Pairs per step.
            lr: AdamW learning rate.
            num_threads: torch threads while training (restored afterwards).
        """
        previous = torch.get_num_threads()
        if num_threads:
            torch.set_num_threads(num_threads)
        try:
            x = _to_float(videos, self.pool)
            gen = torch.Generator().manual_seed(self.seed + 1)
            params = [*self.model.parameters(), self.head]
            opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.05)
            self.model.train()
            for _ in range(steps):
                pos, neg = self._scores(*self._pairs(x, batch_size, gen))
                loss = F.softplus(neg - pos).mean()  # cross-entropy of choosing B
                opt.zero_grad()
                loss.backward()
                opt.step()
                self.losses.append(loss.item())
                self.train_accuracy.append((pos > neg).float().mean().item())
            self.model.eval()
        finally:
            torch.set_num_threads(previous)
        if steps:
            logger.info("temporal pretext: loss %.3f -> %.3f", self.losses[0], self.losses[-1])

    def pretext_accuracy(self, videos: np.ndarray, pairs: int = 256, seed: int = 0) -> float:
        """Percent of pairs from ``videos`` (e.g. unlabelled validation videos) where the
        encoder picks B over its reversal; chance is 50 %."""
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            pos, neg = self._scores(*self._pairs(_to_float(videos, self.pool), pairs, gen))
        return 100.0 * (pos > neg).float().mean().item()

    def encode(self, clips: np.ndarray, chunk: int = 256) -> np.ndarray:
        """uint8[n, T, H, W, 3] -> float32[n, 2 * channels[-1]]."""
        out = []
        with torch.no_grad():
            for start in range(0, len(clips), chunk):
                out.append(self.model(_to_float(clips[start : start + chunk], self.pool)))
        return torch.cat(out).numpy()
