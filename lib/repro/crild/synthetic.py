"""Seeded, grammar-generated GLUE-like tasks for the offline tier.

Three tasks, each a stand-in for a GLUE task family (they are *not* GLUE):

* ``syn-sentiment`` (single sentence, binary, like SST-2): a review clause with an
  optionally negated, optionally intensified adjective; with probability 0.35 a second
  clause follows ``but``/``although`` and the label is that of the clause the connective
  makes dominant. Negation flips polarity.
* ``syn-paraphrase`` (sentence pair, binary, like MRPC/QQP): "agent verb patient place";
  the second sentence is a paraphrase (synonyms, optional passive voice) or a near miss
  (a quarter: agent and patient swapped, the same words in another order; otherwise two of
  verb, place and adjective replaced by non-synonyms).
* ``syn-similarity`` (sentence pair, regression 0..5, like STS-B): two descriptions with
  three slots (who, did what, where); the score is 5 x the fraction of slots that agree
  (synonyms agree), plus
  Gaussian noise of s.d. 0.25, clipped to [0, 5].

Nothing in the grammars refers to a distillation method. The few-sample and label-noise
variants of the paper (1k examples; 30 % of labels flipped to a different class with a
fixed seed, no noise for regression) are ``subsample`` and ``flip_labels``.

Data contract of :func:`make_task`: ``dict[str, np.ndarray]`` with keys
``{split}_text_a`` / ``{split}_text_b`` (``str[n]``; ``text_b`` empty for single
sentences) and ``{split}_label`` (``int64[n]`` or ``float32[n]``), ``split`` in
``train, dev``.
"""

from __future__ import annotations

import numpy as np

TASK_NAMES = ("syn-sentiment", "syn-paraphrase", "syn-similarity")

_POS = ["good", "great", "fine", "nice", "lovely", "brilliant", "pleasant", "charming", "superb"]
_NEG = ["bad", "poor", "dull", "awful", "boring", "weak", "terrible", "messy", "bland"]
_TOPICS = [
    "the movie",
    "the plot",
    "the acting",
    "the music",
    "the ending",
    "the story",
    "the cast",
    "the script",
    "the film",
    "the dialogue",
    "the pacing",
    "the camera work",
]
_VERBS_BE = ["was", "is", "seemed", "felt", "looked"]
_INTENS = ["very", "really", "quite", "rather", "truly", "so"]
_NEGS = ["not", "never", "hardly"]

_AGENTS = [
    ("teacher", "tutor"),
    ("doctor", "physician"),
    ("child", "kid"),
    ("man", "guy"),
    ("woman", "lady"),
    ("dog", "puppy"),
    ("student", "pupil"),
    ("boss", "manager"),
]
_ACTS = [
    ("helped", "assisted"),
    ("called", "phoned"),
    ("watched", "observed"),
    ("followed", "chased"),
    ("thanked", "praised"),
    ("met", "visited"),
    ("pushed", "shoved"),
    ("hired", "employed"),
]
_PLACES = [
    ("in the park", "at the park"),
    ("at school", "in class"),
    ("in the city", "downtown"),
    ("at home", "in the house"),
    ("on the road", "on the street"),
    ("in the shop", "at the store"),
]
_TIMES = [
    ("today", "this day"),
    ("yesterday", "the day before"),
    ("at night", "in the evening"),
    ("in the morning", "early"),
    ("last week", "a week ago"),
]
_COLORS = [
    ("big", "large"),
    ("small", "little"),
    ("old", "aged"),
    ("young", "youthful"),
    ("happy", "cheerful"),
    ("tired", "sleepy"),
]


def _pick(rng: np.random.Generator, items: list) -> object:
    return items[int(rng.integers(len(items)))]


def _clause(rng: np.random.Generator) -> tuple[str, int]:
    positive = bool(rng.integers(2))
    adj = _pick(rng, _POS if positive else _NEG)
    words = [_pick(rng, _TOPICS), _pick(rng, _VERBS_BE)]
    negated = rng.random() < 0.4
    if negated:
        words.append(_pick(rng, _NEGS))
    if rng.random() < 0.4:
        words.append(_pick(rng, _INTENS))
    words.append(adj)
    return " ".join(words), int(positive != negated)


def sentiment_example(rng: np.random.Generator) -> tuple[str, str, int]:
    """One ``syn-sentiment`` example ``(text_a, "", label)``."""
    first, y1 = _clause(rng)
    if rng.random() >= 0.35:
        return first, "", y1
    second, y2 = _clause(rng)
    if rng.random() < 0.5:
        # "A but B": B dominates.
        return f"{first} but {second}", "", y2
    # "although A, B": B dominates, A is conceded.
    return f"although {first} , {second}", "", y2


def _np(rng: np.random.Generator, pairs: list, syn: bool) -> str:
    return _pick(rng, list(_pick(rng, pairs))) if syn else _pick(rng, pairs)[0]


def paraphrase_example(rng: np.random.Generator) -> tuple[str, str, int]:
    """One ``syn-paraphrase`` example ``(text_a, text_b, label)``."""
    ia, ip = rng.choice(len(_AGENTS), size=2, replace=False)
    iv, il, ic = (int(rng.integers(len(x))) for x in (_ACTS, _PLACES, _COLORS))
    adj = _COLORS[ic]
    a_txt = f"the {adj[0]} {_AGENTS[ia][0]} {_ACTS[iv][0]} the {_AGENTS[ip][0]} {_PLACES[il][0]}"
    label = int(rng.random() < 0.5)
    agent, patient, verb, place, color = ia, ip, iv, il, ic
    if not label:
        if rng.random() < 0.25:
            agent, patient = ip, ia  # same words, roles swapped
        else:
            # two of {verb, place, colour} replaced by non-synonyms
            for slot in rng.choice(3, size=2, replace=False):
                if slot == 0:
                    verb = (iv + 1 + int(rng.integers(len(_ACTS) - 1))) % len(_ACTS)
                elif slot == 1:
                    place = (il + 1 + int(rng.integers(len(_PLACES) - 1))) % len(_PLACES)
                else:
                    color = (ic + 1 + int(rng.integers(len(_COLORS) - 1))) % len(_COLORS)
    ag = f"the {_pick(rng, list(_COLORS[color]))} {_pick(rng, list(_AGENTS[agent]))}"
    pa = f"the {_pick(rng, list(_AGENTS[patient]))}"
    v, pl = _pick(rng, list(_ACTS[verb])), _pick(rng, list(_PLACES[place]))
    b_txt = f"{pa} was {v} by {ag} {pl}" if rng.random() < 0.5 else f"{ag} {v} {pa} {pl}"
    return a_txt, b_txt, label


_SLOTS = (_AGENTS, _ACTS, _PLACES)


def _describe(rng: np.random.Generator, ids: list[int]) -> str:
    words = [_pick(rng, list(slot[i])) for slot, i in zip(_SLOTS, ids, strict=True)]
    return f"the {words[0]} {words[1]} someone {words[2]}"


def similarity_example(rng: np.random.Generator) -> tuple[str, str, float]:
    """One ``syn-similarity`` example ``(text_a, text_b, score in [0, 5])``."""
    a = [int(rng.integers(len(s))) for s in _SLOTS]
    n_change = int(rng.integers(len(_SLOTS) + 1))
    b = list(a)
    for k in rng.choice(len(_SLOTS), size=n_change, replace=False):
        size = len(_SLOTS[k])
        b[k] = (a[k] + 1 + int(rng.integers(size - 1))) % size
    score = 5.0 * (len(_SLOTS) - n_change) / len(_SLOTS) + rng.normal(0.0, 0.25)
    return _describe(rng, a), _describe(rng, b), float(np.clip(score, 0.0, 5.0))


_MAKERS = {
    "syn-sentiment": sentiment_example,
    "syn-paraphrase": paraphrase_example,
    "syn-similarity": similarity_example,
}


def make_split(task: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n`` examples of ``task`` as ``{"text_a", "text_b", "label"}`` arrays."""
    if task not in _MAKERS:
        raise KeyError(f"unknown synthetic task {task!r}; expected one of {TASK_NAMES}")
    rows = [_MAKERS[task](rng) for _ in range(n)]
    dtype = np.float32 if task == "syn-similarity" else np.int64
    return {
        "text_a": np.array([r[0] for r in rows], dtype=str),
        "text_b": np.array([r[1] for r in rows], dtype=str),
        "label": np.array([r[2] for r in rows], dtype=dtype),
    }


def flip_labels(labels: np.ndarray, rate: float, num_classes: int, seed: int = 0) -> np.ndarray:
    """Flips each label with probability ``rate`` to a uniformly chosen *different* class.

    Args:
        labels: ``int64[n]`` class ids.
        rate: flip probability in ``[0, 1]``.
        num_classes: number of classes (>= 2).
        seed: the release fixes this to 0.

    Returns:
        A new ``int64[n]`` array.
    """
    rng = np.random.default_rng(seed)
    flip = rng.random(len(labels)) < rate
    shift = rng.integers(1, num_classes, size=len(labels))
    return np.where(flip, (labels + shift) % num_classes, labels).astype(np.int64)


def subsample(n_total: int, n_keep: int, seed: int) -> np.ndarray:
    """Indices of a random subset of size ``min(n_keep, n_total)`` (sorted)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.permutation(n_total)[: min(n_keep, n_total)])


def make_task(
    task: str,
    n_train: int,
    n_dev: int,
    label_noise: float = 0.0,
    noise_seed: int = 0,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Generates train and dev splits of one synthetic task.

    Args:
        task: one of :data:`TASK_NAMES`.
        n_train, n_dev: split sizes.
        label_noise: fraction of *training* labels flipped (classification only; dev is clean).
        noise_seed: seed of the flips (fixed, as in the release's ``glue_lnl``).
        seed: generation seed; train and dev use independent streams.

    Returns:
        ``{"train_text_a", "train_text_b", "train_label", "dev_..."}``.
    """
    root = np.random.SeedSequence(seed)
    tr_rng, dev_rng = (np.random.default_rng(s) for s in root.spawn(2))
    out = {f"train_{k}": v for k, v in make_split(task, n_train, tr_rng).items()}
    out.update({f"dev_{k}": v for k, v in make_split(task, n_dev, dev_rng).items()})
    if label_noise > 0 and task != "syn-similarity":
        out["train_label"] = flip_labels(out["train_label"], label_noise, 2, noise_seed)
    return out


def make_all_tasks(n_train: int = 512, n_dev: int = 256, seed: int = 0) -> dict[str, np.ndarray]:
    """All three tasks in one dict (keys prefixed ``"<task>/"``); the manifest's generator."""
    out: dict[str, np.ndarray] = {}
    for i, task in enumerate(TASK_NAMES):
        for k, v in make_task(task, n_train, n_dev, seed=seed + i).items():
            out[f"{task}/{k}"] = v
    return out
