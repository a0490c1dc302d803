"""A summarisation-like synthetic sequence-to-sequence task for the offline tier.

Source: a random sequence of "words" (token ids). Target: the source's keywords in
their original order, then EOS; the rest is filler. Two rules say what a keyword is:

- ``"id"``: a word whose id is in a fixed subset. Each token decides alone, so the
  encoder needs no context (issue 13: every method then lands near the full model).
- ``"topic"``: the source opens with a topic id (one of ``num_markers`` ids from
  ``FIRST_WORD``); the other words are split into ``num_markers`` groups by id modulo
  ``num_markers``, and a word is a keyword when its group is the topic's. The same word
  is a keyword in one source and filler in the next, so a token's representation must
  take in the topic (encoder self-attention) before the decoder can select it. (A
  "follows a marker" rule is the textbook context task, but a T5 trained from scratch
  did not learn it within this tier's budget: exact match stayed at the empty-target
  rate after 800 steps.)

Outputs are scored with ROUGE on the token strings (``"w12 w5 ..."``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from repro.core.seeding import numpy_rng

PAD, EOS = 0, 1
FIRST_WORD = 2  # ids 0 and 1 are pad and EOS
RULES = ("id", "topic")


@dataclass(frozen=True)
class SyntheticTask:
    """Sizes of the keyword-extraction task."""

    vocab_size: int = 64
    num_keywords: int = 20  # ids FIRST_WORD .. FIRST_WORD + num_keywords - 1 are keywords
    min_source_len: int = 12
    max_source_len: int = 20
    max_target_len: int = 8  # keywords kept, EOS excluded
    rule: str = "id"  # "id": keyword by its id; "topic": by the source's first (topic) token
    num_markers: int = 3  # "topic": topic ids FIRST_WORD .. FIRST_WORD + num_markers - 1

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"rule={self.rule!r}: expected one of {RULES}")
        if self.rule == "topic" and not 1 <= self.num_markers < self.vocab_size - FIRST_WORD - 1:
            raise ValueError(f"rule 'topic' needs 1 <= num_markers < {self.vocab_size - 3}")
        if self.num_keywords + FIRST_WORD >= self.vocab_size:
            raise ValueError(
                f"num_keywords={self.num_keywords} leaves no filler ids in vocab {self.vocab_size}"
            )
        if not 1 <= self.min_source_len <= self.max_source_len:
            raise ValueError("need 1 <= min_source_len <= max_source_len")


@dataclass
class Seq2SeqBatch:
    """Padded tensors: ``input_ids``/``attention_mask`` ``int64[n, S]``, ``labels`` ``int64[n, T]``.

    Label padding is -100 (ignored by the loss).
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    @property
    def device(self) -> torch.device:
        """Where the tensors are (index tensors for :meth:`subset` must be there too)."""
        return self.input_ids.device

    def subset(self, idx: torch.Tensor) -> Seq2SeqBatch:
        return Seq2SeqBatch(self.input_ids[idx], self.attention_mask[idx], self.labels[idx])

    def to(self, device: str | torch.device) -> Seq2SeqBatch:
        return Seq2SeqBatch(
            self.input_ids.to(device), self.attention_mask.to(device), self.labels.to(device)
        )


def make_examples(
    task: SyntheticTask, n: int, seed: int | np.random.Generator
) -> tuple[list[list[int]], list[list[int]]]:
    """``n`` (source, target) id lists; targets end with EOS."""
    rng = numpy_rng(seed)
    sources, targets = [], []
    for _ in range(n):
        length = int(rng.integers(task.min_source_len, task.max_source_len + 1))
        if task.rule == "id":
            src = rng.integers(FIRST_WORD, task.vocab_size, size=length).tolist()
        else:
            topic = int(rng.integers(FIRST_WORD, FIRST_WORD + task.num_markers))
            words = FIRST_WORD + task.num_markers
            src = [topic, *rng.integers(words, task.vocab_size, size=length - 1).tolist()]
        keys = keywords(task, src)[: task.max_target_len]
        sources.append([*src, EOS])
        targets.append([*keys, EOS])
    return sources, targets


def keywords(task: SyntheticTask, src: list[int]) -> list[int]:
    """The keywords of a source (without EOS), in order, before truncation.

    ``"id"``: ids below ``FIRST_WORD + num_keywords``. ``"topic"``: the words after the
    topic id ``src[0]`` congruent to it modulo ``num_markers`` (with 3 topics,
    ``[2, 5, 6, 8, 9]`` gives ``[5, 8]``).
    """
    if task.rule == "id":
        return [t for t in src if t < FIRST_WORD + task.num_keywords]
    return [t for t in src[1:] if (t - src[0]) % task.num_markers == 0]


def collate(sources: list[list[int]], targets: list[list[int]]) -> Seq2SeqBatch:
    """Right-pad sources with PAD and targets with -100."""
    s_len = max(map(len, sources))
    t_len = max(map(len, targets))
    cpu = torch.device("cpu")  # data is built on the CPU; Seq2SeqBatch.to moves batches
    ids = torch.full((len(sources), s_len), PAD, dtype=torch.long, device=cpu)
    mask = torch.zeros((len(sources), s_len), dtype=torch.long, device=cpu)
    labels = torch.full((len(targets), t_len), -100, dtype=torch.long, device=cpu)
    for i, (s, t) in enumerate(zip(sources, targets, strict=True)):
        ids[i, : len(s)] = torch.tensor(s, device=cpu)
        mask[i, : len(s)] = 1
        labels[i, : len(t)] = torch.tensor(t, device=cpu)
    return Seq2SeqBatch(ids, mask, labels)


def make_dataset(task: SyntheticTask, n: int, seed: int) -> Seq2SeqBatch:
    """``n`` padded examples."""
    return collate(*make_examples(task, n, seed))


def ids_to_text(ids: list[int] | torch.Tensor) -> str:
    """``"w12 w5"``: words up to the first EOS; pad and the start token dropped."""
    words = []
    for t in ids.tolist() if isinstance(ids, torch.Tensor) else ids:
        if t == EOS:
            break
        if t not in (PAD, -100):
            words.append(f"w{t}")
    return " ".join(words)


def make_arrays(
    n: int,
    seed: int,
    vocab_size: int = 40,
    num_keywords: int = 12,
    min_source_len: int = 8,
    max_source_len: int = 12,
    max_target_len: int = 6,
    rule: str = "id",
    num_markers: int = 3,
) -> dict[str, np.ndarray]:
    """Manifest generator: ``n`` padded examples (``input_ids``, ``attention_mask``, ``labels``).

    The offline notebooks draw split ``s`` of experiment seed ``k`` with
    ``seed = derive_seed(k, s)``; the manifest records the digest of one such split.
    """
    task = SyntheticTask(
        vocab_size,
        num_keywords,
        min_source_len,
        max_source_len,
        max_target_len,
        rule,
        num_markers,
    )
    batch = make_dataset(task, n, seed)
    return {
        "input_ids": batch.input_ids.numpy(),
        "attention_mask": batch.attention_mask.numpy(),
        "labels": batch.labels.numpy(),
    }
