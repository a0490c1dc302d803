"""Data of the ILD-overfitting probe: a learnable rule amid thousands of filler words.

Why a new task (issue 14): in the GLUE-like grammars of :mod:`repro.crild.synthetic` training
and held-out sentences share one vocabulary of about 60 words, so a student cannot fit
input-specific teacher states that fail to carry over to new inputs. Here each sentence is
``n_slots`` whole words:

* one slot holds a sentiment adjective (12 positive, 12 negative), at a random position;
* the slot just before it holds a negator (``not``, ``never``, ``hardly``) with probability
  ``p_negate``, otherwise a filler;
* every other slot holds a filler drawn from a pool of ``n_fillers`` whole words taken from
  the teacher's own WordPiece vocabulary (alphabetic, one token each).

The label is the adjective's polarity, flipped by a negator. Every word is one token, so a
sentence is always ``n_slots + 2`` tokens (``[CLS] ... [SEP]``) and no padding is needed.
With a pool of thousands of fillers, held-out sentences are mostly made of tokens that a
32-example training set never contains.

Data contract: :class:`ProbeSplit` holds ``ids int64[n, n_slots + 2]`` (ids of the teacher's
full vocabulary) and ``labels int64[n]``; :func:`to_encoded` turns it into
:class:`repro.crild.encoded.Encoded` with an all-ones mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from repro.crild.encoded import Encoded

POSITIVE = (
    "good", "great", "excellent", "wonderful", "brilliant", "superb",
    "lovely", "fantastic", "pleasant", "delightful", "amazing", "perfect",
)  # fmt: skip
NEGATIVE = (
    "bad", "terrible", "awful", "poor", "horrible", "dreadful",
    "boring", "dull", "weak", "nasty", "ugly", "pathetic",
)  # fmt: skip
NEGATORS = ("not", "never", "hardly")
#: Words kept out of the filler pool: negation-like words would make the rule ambiguous.
_NOT_FILLERS = frozenset(
    {"no", "nor", "none", "nothing", "nobody", "neither", "without", "barely", "scarcely"}
)


@dataclass(frozen=True)
class ProbeVocab:
    """Token ids (teacher vocabulary) of the rule words and of the filler pool."""

    cls_id: int
    sep_id: int
    positive: np.ndarray  # int64[12]
    negative: np.ndarray  # int64[12]
    negators: np.ndarray  # int64[3]
    fillers: np.ndarray  # int64[n_fillers]
    words: tuple[str, ...]  # the vocabulary, indexed by id (for showing sentences)


@dataclass(frozen=True)
class ProbeSplit:
    """One split: token ids ``int64[n, T]`` (teacher vocabulary) and labels ``int64[n]``."""

    ids: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.shape[0])


def read_vocab(vocab_path: Path) -> list[str]:
    """The WordPiece vocabulary, one token per line (index = token id)."""
    return Path(vocab_path).read_text(encoding="utf-8").splitlines()


def make_vocab(words: list[str], n_fillers: int, seed: int) -> ProbeVocab:
    """Picks the rule words and ``n_fillers`` filler words from the teacher's vocabulary.

    Fillers are whole words (lower-case letters only, 3 to 12 characters, not a ``##``
    continuation piece) other than the rule words, drawn without replacement.

    Raises:
        ValueError: naming a rule word missing from the vocabulary, or a pool too small.
    """
    index = {w: i for i, w in enumerate(words)}
    rule = (*POSITIVE, *NEGATIVE, *NEGATORS)
    missing = [w for w in (*rule, "[CLS]", "[SEP]") if w not in index]
    if missing:
        raise ValueError(f"vocabulary lacks {missing}; expected an uncased BERT vocab.txt")
    taken = set(rule) | _NOT_FILLERS
    pool = [
        i
        for i, w in enumerate(words)
        if w.isascii() and w.isalpha() and w.islower() and 3 <= len(w) <= 12 and w not in taken
    ]
    if len(pool) < n_fillers:
        raise ValueError(f"n_fillers={n_fillers}: the vocabulary has only {len(pool)} candidates")
    rng = np.random.default_rng(seed)
    fillers = np.sort(rng.choice(np.asarray(pool, dtype=np.int64), n_fillers, replace=False))
    ids = lambda ws: np.asarray([index[w] for w in ws], dtype=np.int64)  # noqa: E731
    return ProbeVocab(
        cls_id=index["[CLS]"],
        sep_id=index["[SEP]"],
        positive=ids(POSITIVE),
        negative=ids(NEGATIVE),
        negators=ids(NEGATORS),
        fillers=fillers,
        words=tuple(words),
    )


def make_split(
    vocab: ProbeVocab, n: int, n_slots: int, rng: np.random.Generator, p_negate: float = 0.5
) -> ProbeSplit:
    """``n`` sentences of ``n_slots`` words (see the module docstring for the rule)."""
    if n_slots < 3:
        raise ValueError(f"n_slots={n_slots}: expected >= 3 (negator, adjective, a filler)")
    body = rng.choice(vocab.fillers, size=(n, n_slots))
    positive = rng.random(n) < 0.5
    negated = rng.random(n) < p_negate
    pos = rng.integers(1, n_slots, size=n)  # adjective slot; slot pos-1 may hold the negator
    rows = np.arange(n)
    adj = np.where(
        positive,
        rng.choice(vocab.positive, size=n),
        rng.choice(vocab.negative, size=n),
    )
    body[rows, pos] = adj
    body[rows[negated], pos[negated] - 1] = rng.choice(vocab.negators, size=int(negated.sum()))
    ids = np.concatenate(
        [np.full((n, 1), vocab.cls_id), body, np.full((n, 1), vocab.sep_id)], axis=1
    )
    return ProbeSplit(ids.astype(np.int64), (positive != negated).astype(np.int64))


def make_probe_data(
    vocab: ProbeVocab, sizes: dict[str, int], n_slots: int, seed: int, p_negate: float = 0.5
) -> dict[str, ProbeSplit]:
    """Independent splits (one seeded stream each), e.g. ``{"train": 512, "dev": 1000}``.

    A smaller training set is the first rows of a larger one (``split.ids[:n]``), so the
    few- and many-example settings share their first examples.
    """
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    return {
        name: make_split(vocab, n, n_slots, np.random.default_rng(s), p_negate)
        for (name, n), s in zip(sizes.items(), streams, strict=True)
    }


def head(split: ProbeSplit, n: int) -> ProbeSplit:
    """The first ``n`` rows."""
    return ProbeSplit(split.ids[:n], split.labels[:n])


def unseen_fraction(train: ProbeSplit, heldout: ProbeSplit) -> float:
    """Fraction of held-out token occurrences whose token never occurs in ``train``."""
    seen = np.isin(heldout.ids, np.unique(train.ids))
    return float(1.0 - seen.mean())


def sentences(vocab: ProbeVocab, split: ProbeSplit, n: int = 5) -> list[str]:
    """The first ``n`` sentences as text (without ``[CLS]``/``[SEP]``), for the page."""
    return [" ".join(vocab.words[i] for i in row[1:-1]) for row in split.ids[:n]]


def compact_ids(splits: list[ProbeSplit], vocab: ProbeVocab) -> np.ndarray:
    """Sorted teacher-vocabulary ids that the probe can use: specials, rule words, fillers.

    A student's word-embedding matrix restricted to these rows behaves exactly like the
    full matrix on probe inputs (rows never looked up get no gradient, only AdamW's weight
    decay), while its optimiser update costs a tenth as much on a CPU.
    """
    extra = np.concatenate([s.ids.ravel() for s in splits]) if splits else np.zeros(0, np.int64)
    return np.unique(
        np.concatenate(
            [
                [vocab.cls_id, vocab.sep_id],
                vocab.positive,
                vocab.negative,
                vocab.negators,
                vocab.fillers,
                extra,
            ]
        ).astype(np.int64)
    )


def to_encoded(split: ProbeSplit, keep: np.ndarray | None = None) -> Encoded:
    """An :class:`Encoded` split; with ``keep`` (from :func:`compact_ids`) ids are re-indexed."""
    ids = split.ids if keep is None else np.searchsorted(keep, split.ids)
    if keep is not None and not np.array_equal(keep[ids], split.ids):
        raise ValueError("to_encoded: a token id is missing from the compact vocabulary")
    t = torch.as_tensor(ids, dtype=torch.int64)
    return Encoded(t, torch.ones_like(t), torch.zeros_like(t), torch.as_tensor(split.labels))
