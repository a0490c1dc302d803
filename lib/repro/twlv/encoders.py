"""Label-blind video encoders: clips uint8[n, T, H, W, 3] -> embeddings float32[n, D].

None of them ever receives a label; their only inputs are pixels (and, for the
self-supervised transformer, the training clips it reconstructs).

* :class:`ImageEncoder`: per-frame random patch features averaged over space and time, like
  an image model (DFN) applied frame by frame. The time average is palindromic (frame t is
  added to frame T-1-t first), so a clip and its reversal give bit-identical embeddings.
* :class:`MotionEncoder`: velocity histograms from cross-correlating consecutive frame
  differences, pooled over the whole clip and its two halves. Direction-sensitive, nearly
  blind to colour and shape.
* :class:`VideoMAEEncoder`: a small video transformer on space-time tubelets, trained by
  masked-tubelet pixel reconstruction (in the spirit of VideoMAE / the masked-modelling stage
  of TWLV-I) on the unlabelled training clips; embedding = its output tokens averaged over
  space per time slice.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger(__name__)


class ClipEncoder(Protocol):
    """Anything that maps clips uint8[n, T, H, W, 3] to float32[n, D]."""

    name: str

    def encode(self, clips: np.ndarray) -> np.ndarray: ...


def _to_float(clips: np.ndarray) -> torch.Tensor:
    """uint8[n, T, H, W, 3] -> float32[n, T, 3, H, W] in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(clips)).permute(0, 1, 4, 2, 3).float() / 255.0


def palindromic_mean(x: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Mean over ``dim`` that is bit-identical for the sequence and its reversal.

    Element t is added to element T-1-t first (addition is commutative in IEEE
    arithmetic), then the pairs are summed in a fixed order.
    """
    length = x.shape[dim]
    pairs = x.narrow(dim, 0, length // 2) + x.narrow(dim, length - length // 2, length // 2).flip(
        dim
    )
    total = pairs.sum(dim)
    if length % 2:
        total = total + x.select(dim, length // 2)
    return total / length


class ImageEncoder:
    """Per-frame random-feature encoder pooled over space and time (reversal-invariant).

    Args:
        dim: Random features per patch; the output has 2 * dim (spatial mean and max).
        patch: Patch side in pixels.
        seed: Seeds the fixed random projection.
    """

    name = "image (per-frame)"

    def __init__(self, dim: int = 256, patch: int = 4, seed: int = 0) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.patch = patch
        self.proj = torch.randn(3 * patch * patch, dim, generator=gen) / (3 * patch * patch) ** 0.5
        self.bias = torch.randn(dim, generator=gen) * 0.5

    def encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """float[m, 3, H, W] -> float[m, D]; each frame is encoded on its own."""
        m, c, h, w = frames.shape
        p = self.patch
        patches = frames.reshape(m, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
        patches = patches.reshape(m, (h // p) * (w // p), c * p * p)  # (m, P, 3*p*p)
        feats = torch.relu(patches @ self.proj + self.bias)  # (m, P, D)
        # Max over positions picks up the small sprite that a plain mean would drown in
        # background texture.
        return torch.cat([feats.mean(dim=1), feats.amax(dim=1)], dim=1)

    def encode(self, clips: np.ndarray, chunk: int = 256) -> np.ndarray:
        """uint8[n, T, H, W, 3] -> float32[n, 2 * dim]."""
        out = []
        with torch.no_grad():
            for start in range(0, len(clips), chunk):
                x = _to_float(clips[start : start + chunk])
                t = x.shape[1]
                # One frame at a time keeps every frame's features independent of its
                # position in the batch, which the exact reversal invariance relies on.
                frames = torch.stack([self.encode_frames(x[:, i]) for i in range(t)], dim=1)
                out.append(palindromic_mean(frames, dim=1))
        return torch.cat(out).numpy()


class MotionEncoder:
    """Velocity histograms from the cross-correlation of consecutive frame differences.

    Frame differences ``D_t = f_{t+1} - f_t`` remove the static background; the circular
    cross-correlation of ``D_{t+1}`` with ``D_t`` peaks at the displacement of whatever moved
    between them. Each correlation map is cropped to shifts within ``radius`` pixels,
    normalised to unit length and averaged over the whole clip and over its first and second
    halves, so "up then down" differs from "down then up". No learned weights.

    Args:
        radius: Largest displacement per frame, in pixels, that is represented.
    """

    name = "motion (frame differences)"

    def __init__(self, radius: int = 6) -> None:
        self.radius = radius

    def velocity_maps(self, grey: torch.Tensor) -> torch.Tensor:
        """float[n, T, H, W] -> float[n, T-2, (2 radius + 1)^2] unit-norm correlation maps."""
        diff = grey[:, 1:] - grey[:, :-1]
        spec = torch.fft.rfft2(diff)
        corr = torch.fft.irfft2(spec[:, 1:] * spec[:, :-1].conj(), s=diff.shape[-2:])
        r = self.radius
        corr = torch.roll(corr, shifts=(r, r), dims=(2, 3))[..., : 2 * r + 1, : 2 * r + 1]
        corr = corr.flatten(2)
        return corr / (corr.norm(dim=2, keepdim=True) + 1e-6)

    def encode(self, clips: np.ndarray, chunk: int = 256) -> np.ndarray:
        """uint8[n, T, H, W, 3] -> float32[n, 3 * (2 radius + 1)^2] (needs T >= 4)."""
        out = []
        with torch.no_grad():
            for start in range(0, len(clips), chunk):
                grey = _to_float(clips[start : start + chunk]).mean(dim=2)
                maps = self.velocity_maps(grey)
                half = maps.shape[1] // 2
                pooled = [maps.mean(1), maps[:, :half].mean(1), maps[:, half:].mean(1)]
                out.append(torch.cat(pooled, dim=1))
        return torch.cat(out).numpy()


class _TinyViT(nn.Module):
    """Tubelet embedding + transformer encoder, and a one-layer pixel decoder."""

    def __init__(self, tube_dim: int, num_tokens: int, width: int, depth: int, heads: int):
        super().__init__()
        self.embed = nn.Linear(tube_dim, width)
        self.pos = nn.Parameter(torch.randn(1, num_tokens, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, heads, 2 * width, 0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))
        dec_layer = nn.TransformerEncoderLayer(width, heads, 2 * width, 0.0, batch_first=True)
        self.decoder = nn.TransformerEncoder(dec_layer, 1, enable_nested_tensor=False)
        self.head = nn.Linear(width, tube_dim)
        self.norm = nn.LayerNorm(width)

    def encode_tokens(self, tubes: torch.Tensor) -> torch.Tensor:
        """float[n, N, tube_dim] -> float[n, N, width]."""
        return self.norm(self.encoder(self.embed(tubes) + self.pos))

    def reconstruct(self, tubes: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Predict all tubes from the visible ones ``keep`` int64[n, k]; float[n, N, tube_dim]."""
        n, num, _ = tubes.shape
        tokens = self.embed(tubes) + self.pos
        index = keep[..., None].expand(-1, -1, tokens.shape[-1])
        visible = self.norm(self.encoder(tokens.gather(1, index)))
        full = self.mask_token.expand(n, num, -1).clone()
        full = full.scatter(1, index, visible) + self.pos
        return self.head(self.decoder(full))


def tubelets(clips: torch.Tensor, t: int, p: int) -> torch.Tensor:
    """float[n, T, 3, H, W] -> float[n, (T/t)(H/p)(W/p), t*3*p*p] non-overlapping tubes."""
    n, time, c, h, w = clips.shape
    x = clips.reshape(n, time // t, t, c, h // p, p, w // p, p)
    x = x.permute(0, 1, 4, 6, 2, 3, 5, 7)
    return x.reshape(n, (time // t) * (h // p) * (w // p), t * c * p * p)


class VideoMAEEncoder:
    """Small video transformer trained self-supervised by masked-tubelet reconstruction.

    Args:
        frames: Clip length T the model is built for.
        size: Frame side H = W.
        tube: (t, p) tubelet size in frames and pixels.
        width: Transformer width.
        depth: Encoder layers.
        heads: Attention heads.
        mask_ratio: Fraction of tubes hidden from the encoder during training.
        seed: Seeds initialisation, masking and batch order.
    """

    name = "video transformer (masked modelling)"

    def __init__(
        self,
        frames: int,
        size: int,
        tube: tuple[int, int] = (2, 8),
        width: int = 64,
        depth: int = 2,
        heads: int = 4,
        mask_ratio: float = 0.75,
        seed: int = 0,
    ) -> None:
        t, p = tube
        if frames % t or size % p:
            raise ValueError(f"clip {frames}x{size} not divisible by tubelet {tube}")
        self.tube = tube
        self.mask_ratio = mask_ratio
        self.seed = seed
        self.time_slices = frames // t
        num_tokens = self.time_slices * (size // p) ** 2
        torch_state = torch.random.get_rng_state()
        try:
            # nn.Module initialisers draw from the global generator; seed it locally and
            # restore it so callers' global RNG state is untouched.
            torch.manual_seed(seed)
            self.model = _TinyViT(t * 3 * p * p, num_tokens, width, depth, heads)
        finally:
            torch.random.set_rng_state(torch_state)
        self.losses: list[float] = []

    def _tubes(self, clips: np.ndarray) -> torch.Tensor:
        return tubelets(_to_float(clips), *self.tube)

    def fit(
        self,
        clips: np.ndarray,
        steps: int,
        batch_size: int = 32,
        lr: float = 1e-3,
        num_threads: int | None = 1,
    ) -> None:
        """Train on unlabelled clips uint8[n, T, H, W, 3]: MSE on per-tube normalised pixels.

        Args:
            clips: Training clips (no labels).
            steps: Optimisation steps.
            batch_size: Clips per step.
            lr: Peak AdamW learning rate (20 warm-up steps).
            num_threads: torch threads while training (restored afterwards); the model is
                so small that one thread is faster than two, and much faster on a busy CPU.
        """
        previous = torch.get_num_threads()
        if num_threads:
            torch.set_num_threads(num_threads)
        try:
            self._fit(clips, steps, batch_size, lr)
        finally:
            torch.set_num_threads(previous)

    def _fit(self, clips: np.ndarray, steps: int, batch_size: int, lr: float) -> None:
        gen = torch.Generator().manual_seed(self.seed + 1)
        tubes = self._tubes(clips)
        target = (tubes - tubes.mean(-1, keepdim=True)) / (tubes.std(-1, keepdim=True) + 1e-6)
        n, num, _ = tubes.shape
        n_keep = max(1, round(num * (1 - self.mask_ratio)))
        opt = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=0.05)
        self.model.train()
        for step in range(steps):
            idx = torch.randint(0, n, (min(batch_size, n),), generator=gen)
            order = torch.rand(len(idx), num, generator=gen).argsort(dim=1)
            keep, hidden = order[:, :n_keep], order[:, n_keep:]
            pred = self.model.reconstruct(tubes[idx], keep)
            hid = hidden[..., None].expand(-1, -1, tubes.shape[-1])
            loss = F.mse_loss(pred.gather(1, hid), target[idx].gather(1, hid))
            opt.zero_grad()
            loss.backward()
            for group in opt.param_groups:
                group["lr"] = lr * min(1.0, (step + 1) / 20)
            opt.step()
            self.losses.append(loss.item())
        self.model.eval()
        logger.info("masked modelling: loss %.3f -> %.3f", self.losses[0], self.losses[-1])

    def encode(self, clips: np.ndarray, chunk: int = 256) -> np.ndarray:
        """uint8[n, T, H, W, 3] -> float32[n, (T / t) * width].

        Output tokens are averaged over space within each time slice and the slices are
        concatenated in time order (a plain mean over all tokens would discard the order
        that the transformer may have encoded).
        """
        out = []
        with torch.no_grad():
            for start in range(0, len(clips), chunk):
                tokens = self.model.encode_tokens(self._tubes(clips[start : start + chunk]))
                n, num, width = tokens.shape
                slices = tokens.view(n, self.time_slices, num // self.time_slices, width)
                out.append(slices.mean(2).flatten(1))
        return torch.cat(out).numpy()
