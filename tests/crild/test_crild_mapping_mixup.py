"""Layer maps, EMD flow against linprog, mixup properties and the consistency term."""

import numpy as np
import pytest
import torch
from scipy.optimize import linprog

from repro.crild.consistency import consistency_term, ramp_weight
from repro.crild.mapping import emd_flow, emd_loss, last_map, uniform_map
from repro.crild.mixup import mix_embeddings, reverse_pairing, sample_lambda, union_mask


def test_uniform_and_last_maps():
    assert uniform_map(3, 6) == [(1, 2), (2, 4), (3, 6)]
    assert uniform_map(6, 12) == [(i, 2 * i) for i in range(1, 7)]
    assert last_map(6, 12) == [(6, 12)]
    with pytest.raises(ValueError, match="multiple"):
        uniform_map(4, 6)


def _linprog_emd(cost):
    m, n = cost.shape
    a_eq = np.zeros((m + n, m * n))
    for i in range(m):
        a_eq[i, i * n : (i + 1) * n] = 1
    for j in range(n):
        a_eq[m + j, j::n] = 1
    b_eq = np.r_[np.full(m, 1 / m), np.full(n, 1 / n)]
    res = linprog(cost.ravel(), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    return res.fun


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_emd_flow_matches_linprog(seed):
    cost = np.random.default_rng(seed).random((3, 6))
    flow = emd_flow(cost)
    assert np.allclose(flow.sum(1), 1 / 3) and np.allclose(flow.sum(0), 1 / 6)
    assert (flow * cost).sum() == pytest.approx(_linprog_emd(cost), abs=1e-9)


def test_emd_loss_gradient_is_flow():
    costs = torch.rand(2, 4, dtype=torch.float64, requires_grad=True)
    loss, flow = emd_loss(costs)
    loss.backward()
    assert np.allclose(costs.grad.numpy(), flow)


def test_sample_lambda_range_and_determinism():
    lams = [sample_lambda(torch.Generator().manual_seed(s)) for s in range(200)]
    assert all(0.5 <= x <= 1.0 for x in lams)
    assert sample_lambda(torch.Generator().manual_seed(3)) == lams[3]
    assert 0.7 < np.mean(lams) < 0.8  # E[max(u, 1-u)] = 0.75


def test_mixup_properties():
    emb = torch.arange(12, dtype=torch.float32).view(3, 2, 2)
    assert torch.equal(reverse_pairing(3), torch.tensor([2, 1, 0]))
    assert torch.equal(mix_embeddings(emb, 1.0), emb)
    mixed = mix_embeddings(emb, 0.75)
    assert torch.allclose(mixed[0], 0.75 * emb[0] + 0.25 * emb[2])
    assert torch.allclose(mix_embeddings(emb, 0.5)[1], emb[1])  # the middle pairs with itself
    mask = torch.tensor([[1, 1, 0], [1, 0, 0], [1, 1, 1]])
    assert torch.equal(union_mask(mask), torch.tensor([[1, 1, 1], [1, 0, 0], [1, 1, 1]]))


def test_ramp_weight():
    assert ramp_weight(0.1, 0, 4) == 0.0
    assert ramp_weight(0.1, 2, 4) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="epoch"):
        ramp_weight(0.1, 4, 4)


def test_consistency_term_hand_value():
    b, t, h = 2, 1, 1
    mixed_h = torch.zeros(b, t, h)
    clean_h = torch.tensor([[[1.0]], [[3.0]]])
    scores = torch.zeros(b, 1, t, t)
    mask = torch.ones(b, t, dtype=torch.long)
    # attention over one key: CE = 0; hidden: lam * (0-1)^2 + (1-lam) * (0-3)^2 for row 0 ...
    val = consistency_term(scores, mixed_h, scores, clean_h, mask, 0.75)
    expected = 0.75 * (1 + 9) / 2 + 0.25 * (9 + 1) / 2
    assert val.item() == pytest.approx(expected)
    assert consistency_term(scores, clean_h, scores, clean_h, mask, 1.0).item() == pytest.approx(
        0.0
    )
