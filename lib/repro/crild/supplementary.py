"""A supplementary corpus for ILD on other inputs (the paper's supplementary-task observation).

The paper reports that running ILD on a supplementary task's inputs instead of the target
task's reduces ILD's overfitting; CR-ILD's mixup is one such task. The release also prepares
real other inputs (``generate_wiki_data.py``: consecutive Wikipedia sentence pairs) but never
registers a processor for them. Here the ``L-ILD-other`` method (:mod:`repro.crild.methods`)
distils on the training inputs of another task: on the offline tier another synthetic task,
on the paper tier another GLUE task. Labels are never read (stage 1 has no labels).

Matched budget: the corpus is cut to the target's training size and stage 1 draws the same
number and size of batches as on the target inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from repro.core.errors import InputError
from repro.crild.encoded import encode
from repro.crild.models import load_tokenizer
from repro.crild.teacher_cache import CACHE_LIMIT_BYTES, TaskBundle, cache_bytes
from repro.crild.train import teacher_outputs

#: Key of the corpus in :attr:`repro.crild.teacher_cache.TaskBundle.extra`.
EXTRA_KEY = "supplementary"


class NoSupplementaryTaskError(InputError, ValueError):
    """Every listed supplementary task is the target task itself."""


def choose_corpus(target: str, candidates: Sequence[str]) -> str:
    """The first of ``candidates`` that is not ``target`` (case-insensitive).

    Raises:
        NoSupplementaryTaskError: naming the field when no candidate differs from the target.
    """
    for name in candidates:
        if name.strip().lower() != target.strip().lower():
            return name
    raise NoSupplementaryTaskError(
        f"supplementary_tasks={list(candidates)}: expected a task other than {target!r}"
    )


def attach_supplementary(bundle: TaskBundle, splits: dict, cfg: Any, name: str) -> TaskBundle:
    """Encodes another corpus's training inputs and caches the teacher's outputs on them.

    Args:
        bundle: the target task's bundle (its teacher and tokenizer folder are reused).
        splits: split dict of the other corpus (:mod:`repro.crild.synthetic` contract).
        cfg: any CR-ILD ``Config`` (``max_seq_len``).
        name: the corpus's name, recorded in ``bundle.extra``.

    Returns:
        ``bundle`` with ``extra["supplementary"] = (inputs, teacher outputs or None)`` and
        ``extra["supplementary_name"] = name``.
    """
    n = min(len(splits["train_label"]), len(bundle.train))
    text_b = splits.get("train_text_b")
    data = encode(
        load_tokenizer(bundle.folder),
        splits["train_text_a"][:n],
        None if text_b is None else text_b[:n],
        splits["train_label"][:n],
        cfg.max_seq_len,
    ).to(bundle.device)
    cache = None
    if cache_bytes(bundle.teacher, data) <= CACHE_LIMIT_BYTES:
        cache = teacher_outputs(bundle.teacher, data).to(bundle.device)
    bundle.extra[EXTRA_KEY] = (data, cache)
    bundle.extra[f"{EXTRA_KEY}_name"] = name
    return bundle


def add_supplementary(bundle: TaskBundle, task: str, cfg: Any) -> TaskBundle:
    """Attaches the first of ``cfg.supplementary_tasks`` that is not ``task`` to ``bundle``.

    Args:
        bundle: the prepared target task (:func:`repro.crild.teacher_cache.prepare_task`).
        task: the target task's name as in ``cfg.tasks`` / ``cfg.task``.
        cfg: a CR-ILD ``Config`` with ``supplementary_tasks``, ``data_source``, ``n_train``,
            ``n_dev`` and ``data_seed``.
    """
    from repro.crild.data import load_splits

    name = choose_corpus(task, cfg.supplementary_tasks)
    splits = load_splits(cfg.data_source, name, cfg.n_train, cfg.n_dev, cfg.data_seed)
    return attach_supplementary(bundle, splits, cfg, name)
