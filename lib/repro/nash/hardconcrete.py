"""Hard-concrete distribution for L0 masks (Louizos et al. 2018, Sec. 4), as CoFi and NASH use it.

A gate z in [0, 1] is a stretched, clipped binary-concrete variable: sample
``s = sigmoid((log u - log(1 - u) + log_alpha) / T)`` with ``u ~ U(0, 1)``,
stretch to ``(l, r) = (-0.1, 1.1)`` and clip to [0, 1]. Exact zeros and ones have
positive probability, so the expected number of non-zero gates (the L0 norm) is
differentiable in ``log_alpha``.
"""

from __future__ import annotations

import math

import torch

LIMIT_LEFT = -0.1  # l, the stretch interval's lower end
LIMIT_RIGHT = 1.1  # r, its upper end
TEMPERATURE = 2.0 / 3.0  # T (the release's "temperature", beta in Louizos et al.)
EPSILON = 1e-6  # keeps u and probabilities away from 0 and 1
#: Multiplier on ``log_alpha / T`` in the release's deterministic soft mask.
DETERMINISTIC_SCALE = 0.8


def cdf_qz(
    x: float | torch.Tensor,
    log_alpha: torch.Tensor,
    temperature: float = TEMPERATURE,
    limits: tuple[float, float] = (LIMIT_LEFT, LIMIT_RIGHT),
) -> torch.Tensor:
    """P(s_stretched <= x) for the stretched concrete variable, clamped to [eps, 1 - eps].

    Args:
        x: Threshold in (l, r); ``x = 0`` gives P(z = 0).
        log_alpha: ``float[...]`` location parameters.

    Returns:
        ``float[...]`` probabilities, same shape as ``log_alpha``.
    """
    left, right = limits
    xn = (torch.as_tensor(x, dtype=log_alpha.dtype, device=log_alpha.device) - left) / (
        right - left
    )
    logits = torch.log(xn) - torch.log1p(-xn)
    return torch.sigmoid(logits * temperature - log_alpha).clamp(EPSILON, 1.0 - EPSILON)


def prob_nonzero(log_alpha: torch.Tensor, temperature: float = TEMPERATURE) -> torch.Tensor:
    """P(z > 0) = 1 - Q(0) per gate: the expected L0 contribution (``float[...]``)."""
    return 1.0 - cdf_qz(0.0, log_alpha, temperature)


def expected_l0_closed_form(
    log_alpha: torch.Tensor,
    temperature: float = TEMPERATURE,
    limits: tuple[float, float] = (LIMIT_LEFT, LIMIT_RIGHT),
) -> torch.Tensor:
    """Louizos et al. eq. 12: ``sum sigmoid(log_alpha - T log(-l / r))`` (no clamping)."""
    left, right = limits
    return torch.sigmoid(log_alpha - temperature * math.log(-left / right)).sum()


def sample_z(
    log_alpha: torch.Tensor,
    generator: torch.Generator | None = None,
    temperature: float = TEMPERATURE,
    limits: tuple[float, float] = (LIMIT_LEFT, LIMIT_RIGHT),
) -> torch.Tensor:
    """One reparameterised hard-concrete sample per gate (differentiable in ``log_alpha``).

    Args:
        log_alpha: ``float[...]`` location parameters.
        generator: Source of the uniform noise (the global RNG is not used if given).

    Returns:
        ``float[...]`` gates in [0, 1].
    """
    left, right = limits
    # The noise is drawn on the CPU (a CPU generator gives the same masks on every device).
    u = torch.rand(log_alpha.shape, generator=generator, dtype=log_alpha.dtype, device="cpu")
    u = u.to(log_alpha.device) * (1.0 - 2.0 * EPSILON) + EPSILON
    s = torch.sigmoid((torch.log(u) - torch.log1p(-u) + log_alpha) / temperature)
    return (s * (right - left) + left).clamp(0.0, 1.0)


def deterministic_z(log_alpha: torch.Tensor, temperature: float = TEMPERATURE) -> torch.Tensor:
    """The release's evaluation mask for one group of gates.

    The number of zeros is ``round(n - sum P(z > 0))``; the gates with the smallest
    ``sigmoid(log_alpha / T * 0.8)`` are set to 0 and the others keep that soft value.

    Args:
        log_alpha: ``float[n]`` location parameters of one group (a layer's heads,
            or a layer's FFN dimensions).

    Returns:
        ``float[n]`` mask, detached.
    """
    with torch.no_grad():
        flat = log_alpha.reshape(-1)
        n = flat.numel()
        num_zeros = round(n - float(prob_nonzero(flat, temperature).sum()))
        soft = torch.sigmoid(flat / temperature * DETERMINISTIC_SCALE)
        if num_zeros > 0:
            soft[torch.topk(soft, k=num_zeros, largest=False).indices] = 0.0
        return soft.reshape(log_alpha.shape)


def init_log_alpha(
    shape: tuple[int, ...], mean: float, std: float = 0.01, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``float[shape]`` log-alphas drawn from N(mean, std^2), as the release initialises them.

    The release starts FFN gates at ``mean = log(1 - p) - log(p)`` with droprate
    p = 0.5 (so 0) and head gates at 10.
    """
    return torch.randn(shape, generator=generator, device="cpu") * std + mean
