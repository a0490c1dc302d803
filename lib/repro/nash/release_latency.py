"""An emulation of the release's latency metric, measured beside the synchronised end-to-end time.

The release (``evaluation.py`` with ``models/deploying_t5.py``) reports
``ms/example = sum over T5 blocks of time.time() around the block / examples / passes``:

* only the encoder and decoder blocks are timed, so embeddings, the final layer norms, the
  output layer (``lm_head``) and the search loop are left out;
* nothing synchronises inside a block (one ``torch.cuda.synchronize`` follows each
  ``generate``), so on a GPU a block's time is mostly the host's launch time;
* generation stops at EOS (``max_length`` caps it), so a model's time depends on how long
  its outputs are, and a batch decodes until its longest output ends;
* the counters are never reset, so the cold first pass is averaged in.

Here each ``generate`` call is timed twice at once: forward hooks read a clock at every block's
entry and exit without synchronising (the release's metric), and the whole call is timed with
a synchronisation before and after it (the end-to-end metric). EOS positions are drawn once
per example from a seed and forced by :class:`EosAt`, the same for every configuration: with
random weights the natural EOS would come at arbitrary steps, and fixing it isolates the
block-time effect of pruning from any change in output length.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from transformers import (
    LogitsProcessor,
    LogitsProcessorList,
    T5Config,
    T5ForConditionalGeneration,
)

from repro.nash.arch import random_t5
from repro.nash.latency import config_name, environment_record, narrowed_model


@dataclass(frozen=True)
class ReleaseSetup:
    """What one timing round of the release's protocol decodes."""

    batch: int = 1  # sequences per generate call (release: 32)
    examples: int = 1  # examples per timing round (release: the whole validation split)
    input_len: int = 128  # input tokens (release: every input padded or truncated to 128)
    max_length: int = 20  # generate max_length, start token included (release: 20 TweetQA)
    min_output: int = 4  # fewest new tokens of an output, EOS included
    num_beams: int = 1  # release: greedy (1) except CNN/DM (4)

    def __post_init__(self) -> None:
        for name in ("batch", "examples", "input_len", "min_output", "num_beams"):
            if getattr(self, name) < 1:
                raise ValueError(f"ReleaseSetup.{name} must be >= 1, got {getattr(self, name)}")
        if not 1 <= self.min_output <= self.max_length - 1:
            raise ValueError(
                f"ReleaseSetup.min_output={self.min_output}: expected 1 <= min_output <= "
                f"max_length - 1 = {self.max_length - 1}"
            )


def eos_steps(setup: ReleaseSetup, seed: int = 0) -> np.ndarray:
    """``int64[examples]``: the new-token count (EOS included) at which each output ends.

    Uniform in ``[min_output, max_length - 1]``; the same for every configuration of a run.
    """
    rng = np.random.default_rng(seed)
    return rng.integers(setup.min_output, setup.max_length, size=setup.examples)


class EosAt(LogitsProcessor):
    """Ends sequence i after exactly ``steps[i]`` new tokens: EOS banned before, forced then.

    Args:
        steps: ``int64[batch]`` new tokens per sequence, EOS included.
        eos_id: The EOS token id.
        num_beams: Beams per sequence (rows of the scores are ``batch * num_beams``).
    """

    def __init__(self, steps: torch.Tensor, eos_id: int, num_beams: int = 1) -> None:
        self.steps = steps.repeat_interleave(num_beams)
        self.eos_id = eos_id

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        # The decoder start token counts, so the length is the next new token's 1-based index.
        step = input_ids.shape[1]
        at = (self.steps.to(scores.device) == step).unsqueeze(1)
        is_eos = torch.zeros_like(scores, dtype=torch.bool)
        is_eos[:, self.eos_id] = True
        scores = scores.masked_fill(is_eos & ~at, float("-inf"))  # no EOS before its step
        return scores.masked_fill(at & ~is_eos, float("-inf"))  # only EOS at its step


class BlockTimer:
    """Sums wall time inside every encoder and decoder block, the release's way.

    The clock is read at each block's entry and exit with no synchronisation, so on a GPU a
    block's time is the host's time to launch its kernels. Use as a context manager; the
    hooks are removed on exit.

    Args:
        model: A T5 model.
        clock: Seconds as a float (``time.perf_counter``; tests pass a fake clock).
    """

    def __init__(
        self, model: T5ForConditionalGeneration, clock: Callable[[], float] = time.perf_counter
    ):
        self.model = model
        self.clock = clock
        self.seconds = {"encoder": 0.0, "decoder": 0.0}
        self.calls = {"encoder": 0, "decoder": 0}
        self._start = 0.0
        self._handles: list = []

    def _enter(self, *_: object) -> None:
        self._start = self.clock()

    def _exit(self, stack: str) -> Callable[..., None]:
        def hook(*_: object) -> None:
            self.seconds[stack] += self.clock() - self._start
            self.calls[stack] += 1

        return hook

    def __enter__(self) -> BlockTimer:
        for stack in ("encoder", "decoder"):
            for block in getattr(self.model, stack).block:
                self._handles.append(block.register_forward_pre_hook(self._enter))
                self._handles.append(block.register_forward_hook(self._exit(stack)))
        return self

    def __exit__(self, *_: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def sync_for(device: torch.device | str) -> Callable[[], None] | None:
    """``torch.cuda.synchronize`` for a CUDA device, else ``None`` (the end-to-end metric only)."""
    return torch.cuda.synchronize if torch.device(device).type == "cuda" else None


def make_batches(setup: ReleaseSetup, vocab_size: int, seed: int, device) -> list[torch.Tensor]:
    """The round's inputs: ``int64[batch, input_len]`` ids (no pad, no EOS) on ``device``."""
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    ids = torch.randint(
        2, vocab_size, (setup.examples, setup.input_len), generator=gen, device="cpu"
    )
    return [chunk.to(device) for chunk in ids.split(setup.batch)]


def timed_pass(
    model: T5ForConditionalGeneration,
    batches: list[torch.Tensor],
    steps: np.ndarray,
    setup: ReleaseSetup,
    *,
    clock: Callable[[], float] = time.perf_counter,
    sync: Callable[[], None] | None = None,
) -> dict[str, float]:
    """One pass over the examples, timed by both metrics at once.

    Returns:
        Per example: ``block_ms`` (the release's metric), ``encoder_block_ms``,
        ``decoder_block_ms`` and ``e2e_ms`` (synchronised wall time of ``generate``);
        per pass: ``decoder_tokens`` (sequences x beams x decoding steps summed over batches),
        ``encoder_block_calls`` and ``decoder_block_calls``.
    """
    eos = int(model.config.eos_token_id)
    e2e, dec_tokens, start = 0.0, 0, 0
    with BlockTimer(model, clock) as timer, torch.inference_mode():
        for ids in batches:
            rows = torch.as_tensor(steps[start : start + len(ids)], device=ids.device)
            start += len(ids)
            proc = LogitsProcessorList([EosAt(rows, eos, setup.num_beams)])
            if sync is not None:
                sync()
            t0 = time.perf_counter()
            out = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_length=setup.max_length,
                num_beams=setup.num_beams,
                do_sample=False,
                logits_processor=proc,
            )
            if sync is not None:
                sync()
            e2e += time.perf_counter() - t0
            dec_tokens += len(ids) * setup.num_beams * (out.shape[1] - 1)
    n = setup.examples
    enc, dec = timer.seconds["encoder"], timer.seconds["decoder"]
    return {
        "block_ms": (enc + dec) * 1000.0 / n,
        "encoder_block_ms": enc * 1000.0 / n,
        "decoder_block_ms": dec * 1000.0 / n,
        "e2e_ms": e2e * 1000.0 / n,
        "decoder_tokens": dec_tokens,
        "encoder_block_calls": timer.calls["encoder"],
        "decoder_block_calls": timer.calls["decoder"],
    }


def block_weights(model: T5ForConditionalGeneration) -> dict[str, int]:
    """Weights multiplied per token: encoder blocks, decoder blocks per step, cross-attention K/V.

    Cross-attention keys and values are projected once per call from the encoder's output
    (then cached), so they are counted per encoder token, not per decoding step.
    """
    enc = sum(p.numel() for p in model.encoder.block.parameters() if p.dim() == 2)
    dec = sum(p.numel() for p in model.decoder.block.parameters() if p.dim() == 2)
    cross = sum(
        b.layer[1].EncDecAttention.k.weight.numel() + b.layer[1].EncDecAttention.v.weight.numel()
        for b in model.decoder.block
    )
    return {
        "d_model": int(model.config.d_model),
        "encoder_weights": enc,
        "decoder_step_weights": dec - cross,
        "cross_kv_weights": cross,
    }


def release_models(
    arch: str | T5Config, k: int, s: float, seed: int, device: str
) -> dict[str, tuple]:
    """Role -> (config name, k, s, model): the full model, its shortened decoder, and NASH."""
    full = random_t5(arch, seed=seed).to(device)
    kk = None if k == 0 else k  # 0: the full decoder, as in the grid
    k_name = "all" if kk is None else str(kk)
    dec = narrowed_model(full, 0.0, kk, seed=seed).to(device)
    # Narrowing the shortened copy gives the same model as narrowing the full one (the encoder
    # masks depend only on the encoder's shape and the seed) and saves one copy of the full model.
    nash = narrowed_model(dec, s, None, seed=seed).to(device)
    return {
        "full": (config_name(None, 0.0), "all", 0.0, full),
        "decoder_only": (config_name(kk, 0.0), k_name, 0.0, dec),
        "nash": (config_name(kk, s), k_name, s, nash),
    }


def release_rounds(
    arch: str | T5Config,
    k: int,
    s: float,
    setup: ReleaseSetup,
    *,
    warmup: int = 0,
    repeats: int = 3,
    seed: int = 0,
    device: str = "cpu",
) -> pd.DataFrame:
    """Both metrics for full, decoder-only (k) and NASH (k, s), interleaved round by round.

    Returns:
        One row per (round, role): ``arch, role, config, decoder_layers, encoder_sparsity,
        round``, the fields of :func:`timed_pass`, :func:`block_weights`, the setup and the
        environment. Rows of warm-up rounds are left out.
    """
    arch_name = arch if isinstance(arch, str) else "custom"
    models = release_models(arch, k, s, seed, device)
    batches = make_batches(setup, models["full"][3].config.vocab_size, seed, device)
    steps = eos_steps(setup, seed)
    sync = sync_for(device)
    env = environment_record(models["full"][3])
    rows = []
    for r in range(warmup + repeats):
        for role, (name, k_val, s_val, model) in models.items():
            res = timed_pass(model, batches, steps, setup, sync=sync)
            if r >= warmup:
                rows.append(
                    {"arch": arch_name, "role": role, "config": name, "decoder_layers": k_val}
                    | {"encoder_sparsity": s_val, "round": r - warmup, **res}
                    | block_weights(model)
                    | {f"setup_{f}": getattr(setup, f) for f in setup.__dataclass_fields__}
                    | env
                )
    return pd.DataFrame(rows)
