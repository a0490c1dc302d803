"""Stage-1 objectives of the compared methods.

=================== ============ ========== ====== =========== ==========================
name                ILD target   mapping    mixup  consistency what it stands for
=================== ============ ========== ====== =========== ==========================
KD                  none         --         no     no          stage 2 only (vanilla KD)
PKD                 [CLS] MSE    uniform    no     no          Patient KD (PKD-skip)
TinyBERT            attn + hid   uniform    no     no          U-ILD, TinyBERT-style
EMD                 attn + hid   EMD        no     no          BERT-EMD many-to-many
L-ILD               attn + hid   last       no     no          last layer only
L-ILD-QKV           Q/K/V rel.   last       no     no          released objective, no mixup
CR-ILD              attn + hid   last       yes    yes         CR-ILD as the paper describes
CR-ILD-released     Q/K/V rel.   last       yes    no          what the released script runs
L-ILD-mixup         attn + hid   last       yes    no          ablation: CR-ILD without CR
L-ILD-other         attn + hid   last       no     no          ILD on another corpus's inputs
=================== ============ ========== ====== =========== ==========================

``L-ILD-other`` is the paper's supplementary-task observation with real other inputs instead
of mixup: stage 1 runs on the inputs of another task or corpus (``inputs = "other"``; the
release's unfinished ``generate_wiki_data.py`` points at Wikipedia sentence pairs), drawn in
the same number of batches as the target inputs so the optimiser budget is matched. The
corpus is attached to the task bundle by :mod:`repro.crild.supplementary`.

"attn + hid" is :func:`~repro.crild.losses.attention_kl` on attention distributions plus
:func:`~repro.crild.losses.hidden_mse` on ``fit_dense``-projected hidden states; the
uniform map also matches the embedding outputs (index 0), as the release's TinyBERT mode.
``CR-ILD-released`` is named separately because the release's CR-ILD configuration
(``TinyBERT-QKV`` + mixup + IC flags) never reaches the consistency code: its objective is
last-layer Q/K/V relation distillation on mixed inputs only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from repro.core.errors import InputError
from repro.crild import losses as L
from repro.crild.consistency import consistency_term, ramp_weight
from repro.crild.mapping import emd_loss, last_map, uniform_map
from repro.crild.mixup import mix_embeddings, sample_lambda, union_mask
from repro.crild.models import DistillBert, EncoderOutput
from repro.crild.train import Encoded, slice_outputs


@dataclass(frozen=True)
class Method:
    """A stage-1 recipe. ``ild`` in {"none", "pkd", "attn_hidden", "qkv", "emd"}.

    ``inputs`` is ``"target"`` (the task's training inputs) or ``"other"`` (a supplementary
    corpus's inputs, see :mod:`repro.crild.supplementary`).
    """

    name: str
    ild: str
    mapping: str = "last"
    mixup: bool = False
    consistency: bool = False
    inputs: str = "target"


METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        Method("KD", "none", "none"),
        Method("PKD", "pkd", "uniform"),
        Method("TinyBERT", "attn_hidden", "uniform"),
        Method("EMD", "emd", "emd"),
        Method("L-ILD", "attn_hidden", "last"),
        Method("L-ILD-QKV", "qkv", "last"),
        Method("CR-ILD", "attn_hidden", "last", mixup=True, consistency=True),
        Method("CR-ILD-released", "qkv", "last", mixup=True, consistency=False),
        Method("L-ILD-mixup", "attn_hidden", "last", mixup=True, consistency=False),
        Method("L-ILD-other", "attn_hidden", "last", inputs="other"),
    ]
}


class UnknownMethodError(InputError, KeyError):
    """A method name that is not in :data:`METHODS` (the message lists the choices)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def get_method(name: str) -> Method:
    """The method called ``name``, matched case-insensitively (``cr-ild`` is ``CR-ILD``).

    Raises:
        UnknownMethodError: one line naming the value and listing the choices.
    """
    found = {k.lower(): m for k, m in METHODS.items()}.get(str(name).strip().lower())
    if found is None:
        raise UnknownMethodError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    return found


def _pairs(method: Method, m: int, n: int) -> list[tuple[int, int]]:
    return uniform_map(m, n) if method.mapping == "uniform" else last_map(m, n)


def ild_objective(
    method: Method, s: EncoderOutput, t: EncoderOutput, mask: torch.Tensor, num_heads: int
) -> torch.Tensor:
    """The method's ILD loss between student and teacher outputs of the same inputs.

    Args:
        s, t: outputs with ``m`` and ``n`` layers (``hidden`` has ``m + 1`` / ``n + 1``).
        mask: ``int[B, T]`` attention mask of the inputs both models saw.
        num_heads: heads used for Q/K/V relations.
    """
    m, n = len(s.scores), len(t.scores)
    if method.ild == "none":
        return s.logits.new_zeros(())
    if method.ild == "qkv":
        pairs = last_map(m, n)
        i, j = pairs[0]
        return L.qkv_relation_loss(
            (s.queries[i - 1], s.keys[i - 1], s.values[i - 1]),
            (t.queries[j - 1], t.keys[j - 1], t.values[j - 1]),
            num_heads,
        )
    if method.ild == "pkd":
        # The release takes one MSE over the stacked [B, layers, H] normalised [CLS] vectors,
        # i.e. the mean (not the sum) of the per-layer MSEs.
        pairs = uniform_map(m, n)
        return sum(L.pkd_cls_loss(s.hidden[i], t.hidden[j]) for i, j in pairs) / len(pairs)
    if method.ild == "emd":
        att = torch.stack(
            [
                torch.stack(
                    [L.attention_score_mse(s.scores[i], t.scores[j], mask) for j in range(n)]
                )
                for i in range(m)
            ]
        )
        rep = torch.stack(
            [
                torch.stack([L.hidden_mse(s.hidden[i + 1], t.hidden[j + 1]) for j in range(n)])
                for i in range(m)
            ]
        )
        return emd_loss(att)[0] + emd_loss(rep)[0] + L.hidden_mse(s.hidden[0], t.hidden[0])
    pairs = _pairs(method, m, n)
    total = sum(
        L.attention_kl(s.scores[i - 1], t.scores[j - 1], mask)
        + L.hidden_mse(s.hidden[i], t.hidden[j])
        for i, j in pairs
    )
    if method.mapping == "uniform":
        total = total + L.hidden_mse(s.hidden[0], t.hidden[0])
    return total


class MissingSupplementaryError(InputError, ValueError):
    """A method that distils on another corpus's inputs was given no corpus."""


def make_loss_fn(
    method: Method,
    teacher: DistillBert,
    teacher_cache: EncoderOutput | None,
    num_epochs: int,
    w_ic: float = 0.1,
    supplementary: tuple[Encoded, EncoderOutput | None] | None = None,
) -> Callable[..., torch.Tensor]:
    """Builds ``loss_fn(student, idx, batch, epoch, gen)`` for :func:`repro.crild.train.stage1_ild`.

    Args:
        teacher_cache: teacher outputs for every training row (clean inputs); used for
            methods without mixup instead of a teacher forward pass.
        num_epochs: stage-1 epochs ``E`` of the consistency ramp ``epoch / E``.
        w_ic: consistency weight (0.1 as released).
        supplementary: ``(inputs, cached teacher outputs or None)`` of another corpus, for
            methods with ``inputs == "other"``: the target batch's row indices (modulo the
            corpus size) pick the corpus rows, so batch count and size stay those of the
            target task.

    Raises:
        MissingSupplementaryError: an ``inputs == "other"`` method without a corpus.
    """
    heads = teacher.bert.shape.num_heads

    def clean(student: DistillBert, idx, b: Encoded, epoch: int, gen) -> torch.Tensor:
        return clean_on(student, idx, b, teacher_cache)

    def mixed(student: DistillBert, idx, b: Encoded, epoch: int, gen) -> torch.Tensor:
        lam = sample_lambda(gen)
        mask = union_mask(b.mask)
        with torch.no_grad():
            t = teacher.forward_embeddings(mix_embeddings(teacher.embed(b.ids, b.types), lam), mask)
        s = student.forward_embeddings(mix_embeddings(student.embed(b.ids, b.types), lam), mask)
        loss = ild_objective(method, s, t, mask, heads)
        if method.consistency:
            w = ramp_weight(w_ic, epoch, num_epochs)
            if w > 0:
                with torch.no_grad():
                    c = student(b.ids, b.mask, b.types)  # train mode: dropout on, as released
                loss = loss + w * consistency_term(
                    s.scores[-1], s.hidden[-1], c.scores[-1], c.hidden[-1], b.mask, lam
                )
        return loss

    def other(student: DistillBert, idx, b: Encoded, epoch: int, gen) -> torch.Tensor:
        data, cache = supplementary
        rows = idx % len(data)
        return clean_on(student, rows, data.take(rows), cache)

    def clean_on(student: DistillBert, idx, b: Encoded, cache) -> torch.Tensor:
        if cache is not None:
            t = slice_outputs(cache, idx)
        else:
            with torch.no_grad():
                t = teacher(b.ids, b.mask, b.types)
        return ild_objective(method, student(b.ids, b.mask, b.types), t, b.mask, heads)

    if method.ild == "none":
        raise ValueError("method KD has no stage 1")
    if method.inputs == "other":
        if supplementary is None:
            raise MissingSupplementaryError(
                f"method {method.name}: distils on another corpus's inputs, but the task "
                "bundle has none (repro.crild.supplementary.attach_supplementary)"
            )
        return other
    return mixed if method.mixup else clean


@torch.no_grad()
def mean_over_batches(
    distance: Callable[..., torch.Tensor],
    method: Method,
    student: DistillBert,
    teacher: DistillBert,
    data: Encoded,
    teacher_out: EncoderOutput | None = None,
    limit: int = 512,
    batch_size: int = 128,
) -> float:
    """Mean of ``distance(method, s, t, mask, heads)`` over batches of clean inputs (eval mode).

    Args:
        distance: per-batch distance between student and teacher outputs, e.g.
            :func:`ild_objective` or :func:`repro.crild.ild_gap.clean_distance`.
        teacher_out: cached teacher outputs for ``data`` (computed per batch if ``None``).
        limit: use only the first ``limit`` rows of ``data``.
    """
    was = student.training
    student.eval()
    heads = teacher.bert.shape.num_heads
    vals, sizes = [], []
    n = min(len(data), limit)
    for i in range(0, n, batch_size):
        idx = torch.arange(i, min(i + batch_size, n))
        b = data.take(idx)
        s = student(b.ids, b.mask, b.types)
        t = (
            slice_outputs(teacher_out, idx)
            if teacher_out is not None
            else teacher(b.ids, b.mask, b.types)
        )
        vals.append(float(distance(method, s, t, b.mask, heads)))
        sizes.append(len(idx))
    student.train(was)
    return float(np.average(vals, weights=sizes))


def ild_loss_on(
    method: Method,
    student: DistillBert,
    teacher: DistillBert,
    data: Encoded,
    teacher_out: EncoderOutput | None = None,
    limit: int = 512,
    batch_size: int = 128,
) -> float:
    """Mean ILD objective on clean inputs in eval mode (for train vs held-out curves)."""
    return mean_over_batches(
        ild_objective, method, student, teacher, data, teacher_out, limit, batch_size
    )
