"""Quality metrics: ROUGE-1/2/L (rouge-score), exact match and accuracy."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

import numpy as np
from rouge_score import rouge_scorer

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def rouge(
    predictions: Sequence[str], references: Sequence[str], use_stemmer: bool = True
) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measures on a 0-1 scale.

    The release reports the bootstrap "mid" F-measure of ``rouge_score``'s
    aggregator, which is the mean up to resampling noise; we report the plain mean.

    Raises:
        ValueError: if the lists differ in length or are empty.
    """
    if len(predictions) != len(references):
        raise ValueError(f"rouge: {len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise ValueError("rouge: no predictions; expected at least one pair")
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
    scores = [scorer.score(ref, pred) for pred, ref in zip(predictions, references, strict=True)]
    return {t: float(np.mean([s[t].fmeasure for s in scores])) for t in ROUGE_TYPES}


def normalize_answer(text: str) -> str:
    """SQuAD-style normalisation: lower case, drop punctuation, articles and extra spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(predictions: Sequence[str], references: Sequence[Sequence[str] | str]) -> float:
    """Fraction of predictions equal (after :func:`normalize_answer`) to any of their references."""
    if len(predictions) != len(references):
        raise ValueError(
            f"exact_match: {len(predictions)} predictions but {len(references)} references"
        )
    if not predictions:
        raise ValueError("exact_match: no predictions")
    hits = 0
    for pred, refs in zip(predictions, references, strict=True):
        options = [refs] if isinstance(refs, str) else list(refs)
        hits += any(normalize_answer(pred) == normalize_answer(r) for r in options)
    return hits / len(predictions)


def accuracy(predictions: Sequence[str], labels: Sequence[str]) -> float:
    """Classification-as-generation accuracy: stripped prediction equals the verbalised label."""
    if len(predictions) != len(labels):
        raise ValueError(f"accuracy: {len(predictions)} predictions but {len(labels)} labels")
    if not predictions:
        raise ValueError("accuracy: no predictions")
    return float(
        np.mean([p.strip() == lab.strip() for p, lab in zip(predictions, labels, strict=True)])
    )
