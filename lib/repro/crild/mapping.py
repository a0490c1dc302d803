"""Layer mappings between a student with ``m`` layers and a teacher with ``n`` layers.

Layer indices are 1-based transformer layers (index 0 would be the embeddings):

* U-ILD (uniform, "layer to layer"): student layer ``i`` <- teacher layer ``i * n/m``
  (``2i`` for the 2:1 depth ratio of the paper and of our offline tier).
* L-ILD (last): only the last student layer <- the last teacher layer.
* EMD-ILD: many-to-many; layer weights ``1/m`` and ``1/n`` and a transport plan found
  by exact optimal transport on a per-pair cost matrix (Li et al., 2020, BERT-EMD).
  The release also re-weights layers by cost attention after each step; we keep the
  uniform weights (a documented simplification).
"""

from __future__ import annotations

import numpy as np
import torch


def uniform_map(student_layers: int, teacher_layers: int) -> list[tuple[int, int]]:
    """U-ILD pairs ``(student_layer, teacher_layer)``, 1-based.

    Raises:
        ValueError: if the teacher depth is not a multiple of the student depth.
    """
    if student_layers < 1 or teacher_layers % student_layers:
        raise ValueError(
            f"uniform map needs teacher_layers ({teacher_layers}) to be a multiple of "
            f"student_layers ({student_layers})"
        )
    step = teacher_layers // student_layers
    return [(i, i * step) for i in range(1, student_layers + 1)]


def last_map(student_layers: int, teacher_layers: int) -> list[tuple[int, int]]:
    """L-ILD: ``[(m, n)]``."""
    return [(student_layers, teacher_layers)]


def emd_flow(
    cost: np.ndarray,
    student_weights: np.ndarray | None = None,
    teacher_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Exact optimal-transport plan between student and teacher layers.

    Args:
        cost: ``float64[m, n]`` pairwise costs.
        student_weights: ``float64[m]`` masses summing to 1 (uniform if ``None``).
        teacher_weights: ``float64[n]`` masses summing to 1 (uniform if ``None``).

    Returns:
        Flow ``float64[m, n]`` with row sums ``student_weights`` and column sums
        ``teacher_weights`` minimising ``sum(flow * cost)`` (POT's network simplex).
    """
    import ot

    cost = np.asarray(cost, dtype=np.float64)
    m, n = cost.shape
    a = np.full(m, 1.0 / m) if student_weights is None else np.asarray(student_weights, float)
    b = np.full(n, 1.0 / n) if teacher_weights is None else np.asarray(teacher_weights, float)
    return ot.emd(a, b, cost)


def emd_loss(costs: torch.Tensor) -> tuple[torch.Tensor, np.ndarray]:
    """EMD-ILD loss ``sum(flow * cost)`` with the flow held constant.

    Args:
        costs: ``float[m, n]`` differentiable per-pair losses.

    Returns:
        ``(loss, flow)``; the gradient flows through ``costs`` only.
    """
    flow = emd_flow(costs.detach().cpu().double().numpy())
    return (torch.as_tensor(flow, dtype=costs.dtype, device=costs.device) * costs).sum(), flow
