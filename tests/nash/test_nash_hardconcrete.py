"""Hard-concrete gates against closed forms and Monte Carlo."""

import math

import pytest
import torch

from repro.nash import hardconcrete as hc


def test_cdf_at_zero_matches_closed_form():
    log_alpha = torch.tensor([-3.0, -1.0, 0.0, 0.5, 2.0, 4.0])
    # P(z > 0) = sigmoid(log_alpha - T log(-l / r)) (Louizos et al. 2018, eq. 12)
    expected = torch.sigmoid(log_alpha - hc.TEMPERATURE * math.log(0.1 / 1.1))
    assert torch.allclose(hc.prob_nonzero(log_alpha), expected, atol=1e-6)


def test_expected_l0_closed_form_equals_sum_of_prob_nonzero():
    log_alpha = torch.linspace(-4, 4, 17)
    assert torch.allclose(
        hc.expected_l0_closed_form(log_alpha), hc.prob_nonzero(log_alpha).sum(), atol=1e-5
    )


def test_cdf_is_monotone_and_bounded():
    la = torch.zeros(())
    values = [float(hc.cdf_qz(x, la)) for x in (-0.05, 0.0, 0.3, 0.7, 1.0, 1.05)]
    assert values == sorted(values)
    assert all(hc.EPSILON <= v <= 1 - hc.EPSILON for v in values)


@pytest.mark.parametrize("log_alpha", [-1.0, 0.0, 1.5])
def test_sampling_matches_cdf(log_alpha):
    la = torch.full((200_000,), log_alpha)
    z = hc.sample_z(la, generator=torch.Generator().manual_seed(0))
    assert z.min() >= 0 and z.max() <= 1
    # P(z = 0) and P(z <= 0.5) from samples against the CDF
    assert float((z == 0).float().mean()) == pytest.approx(float(hc.cdf_qz(0.0, la[:1])), abs=5e-3)
    assert float((z <= 0.5).float().mean()) == pytest.approx(
        float(hc.cdf_qz(0.5, la[:1])), abs=5e-3
    )
    # exact ones also occur
    assert float((z == 1).float().mean()) == pytest.approx(
        1 - float(hc.cdf_qz(1.0, la[:1])), abs=5e-3
    )


def test_sampling_is_seeded_and_leaves_global_rng_alone():
    la = torch.zeros(50)
    state = torch.random.get_rng_state()
    a = hc.sample_z(la, torch.Generator().manual_seed(3))
    b = hc.sample_z(la, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert torch.equal(state, torch.random.get_rng_state())


def test_sample_is_differentiable():
    la = torch.zeros(5, requires_grad=True)
    hc.sample_z(la, torch.Generator().manual_seed(0)).sum().backward()
    assert la.grad is not None


def test_deterministic_mask_zeroes_expected_count():
    la = torch.tensor([5.0, 5.0, -5.0, -5.0, 0.3])
    z = hc.deterministic_z(la)
    # sum P(z>0) ~ 1 + 1 + 0 + 0 + ~0.6 -> round(5 - 2.6) = 2 zeros, the two smallest
    n_zero = round(5 - float(hc.prob_nonzero(la).sum()))
    assert int((z == 0).sum()) == n_zero == 2
    assert torch.equal(z[2:4], torch.zeros(2))
    assert torch.allclose(z[[0, 1, 4]], torch.sigmoid(la[[0, 1, 4]] / hc.TEMPERATURE * 0.8))


def test_deterministic_mask_all_open():
    z = hc.deterministic_z(torch.full((4,), 10.0))
    assert bool((z > 0.99).all())
