"""Per-layer clean distances between student and teacher, for the ILD-overfitting probe.

Reuses the clean measures of :mod:`repro.crild.ild_gap` (attention ``KL = CE - H(teacher)``
with padded keys masked and padded query rows left out; hidden-state MSE over non-pad
tokens) and logs them for *every* student layer against its uniform-map partner (student
layer ``l`` <- teacher layer ``l * n / m``, the embeddings against the embeddings), whatever
the method trains, so a last-layer run also shows what happens to the layers it leaves
alone. ``total`` is the clean distance over the method's own layer pairs
(:func:`repro.crild.ild_gap.clean_distance`).

Data contract: :func:`distances_on` returns rows ``{"layer": int, "kind": str, "value":
float}`` with ``kind`` in :data:`KINDS`; ``layer`` is -1 for ``total``.
"""

from __future__ import annotations

import torch

from repro.crild.ild_gap import attention_kl_clean, clean_distance, hidden_mse_clean
from repro.crild.mapping import uniform_map
from repro.crild.methods import Method
from repro.crild.models import DistillBert, EncoderOutput
from repro.crild.train import Encoded, slice_outputs

KINDS = ("attention KL", "hidden MSE", "total")


def layer_pairs(student_layers: int, teacher_layers: int) -> list[tuple[int, int]]:
    """``(student, teacher)`` hidden-state indices: embeddings ``(0, 0)`` then the uniform map."""
    return [(0, 0), *uniform_map(student_layers, teacher_layers)]


def layer_distances(
    method: Method, s: EncoderOutput, t: EncoderOutput, mask: torch.Tensor, num_heads: int
) -> list[dict[str, float]]:
    """Clean distances of one batch: per layer (attention KL, hidden MSE) and the method total."""
    rows = []
    for i, j in layer_pairs(len(s.scores), len(t.scores)):
        rows.append(
            {
                "layer": i,
                "kind": "hidden MSE",
                "value": hidden_mse_clean(s.hidden[i], t.hidden[j], mask),
            }
        )
        if i > 0:
            kl = attention_kl_clean(s.scores[i - 1], t.scores[j - 1], mask)
            rows.append({"layer": i, "kind": "attention KL", "value": kl})
    total = clean_distance(method, s, t, mask, num_heads)
    rows.append({"layer": -1, "kind": "total", "value": total})
    return [{**r, "value": float(r["value"])} for r in rows]


@torch.no_grad()
def distances_on(
    method: Method,
    student: DistillBert,
    teacher_out: EncoderOutput,
    data: Encoded,
    num_heads: int,
    batch_size: int = 256,
) -> list[dict[str, float]]:
    """:func:`layer_distances` averaged over ``data`` (student in eval mode, mode restored).

    Args:
        teacher_out: cached teacher outputs for the rows of ``data``, in order.
    """
    was = student.training
    student.eval()
    sums: dict[tuple[int, str], float] = {}
    n = len(data)
    for i in range(0, n, batch_size):
        idx = torch.arange(i, min(i + batch_size, n))
        b = data.take(idx)
        out = student(b.ids, b.mask, b.types)
        for r in layer_distances(method, out, slice_outputs(teacher_out, idx), b.mask, num_heads):
            key = (r["layer"], r["kind"])
            sums[key] = sums.get(key, 0.0) + r["value"] * len(idx) / n
    student.train(was)
    return [{"layer": k[0], "kind": k[1], "value": v} for k, v in sums.items()]
