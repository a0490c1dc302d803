"""Losses against hand computations and their gradients against closed forms."""

import math

import pytest
import torch
import torch.nn.functional as F

from repro.crild import losses as L


def test_kd_soft_ce_hand_value():
    s = torch.tensor([[0.0, 0.0]])
    t = torch.tensor([[2.0, 0.0]])  # T=2 -> softmax([1, 0])
    p1 = math.e / (math.e + 1)
    expected = -(p1 * math.log(0.5) + (1 - p1) * math.log(0.5)) * 4
    assert L.kd_soft_ce(s, t, 2.0).item() == pytest.approx(expected, rel=1e-6)


def test_kd_soft_ce_gradient_equals_kl_gradient():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(5, 3, generator=g, requires_grad=True)
    t = torch.randn(5, 3, generator=g)
    L.kd_soft_ce(s, t, 2.0).backward()
    grad_ce = s.grad.clone()
    s.grad = None
    kl = F.kl_div(F.log_softmax(s / 2, -1), F.softmax(t / 2, -1), reduction="batchmean") * 4
    kl.backward()
    assert torch.allclose(grad_ce, s.grad, atol=1e-6)
    # closed form: d/ds = T * (p_s - p_t) / B
    closed = 2 * (F.softmax(s.detach() / 2, -1) - F.softmax(t / 2, -1)) / 5
    assert torch.allclose(grad_ce, closed, atol=1e-6)


def test_kd_regression_has_no_t_squared():
    s, t = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 1.0])
    assert L.kd_regression(s, t, 2.0).item() == pytest.approx(((0.5**2) + 1.0**2) / 2)
    assert L.kd_loss(s, t, regression=True).item() == pytest.approx(0.625)


def test_attention_kl_hand_value_and_mask():
    s = torch.zeros(1, 1, 1, 3)  # uniform student
    t = torch.tensor([[[[0.0, 0.0, 50.0]]]])
    # unmasked: teacher puts all mass on key 2 -> -log(1/3)
    assert L.attention_kl(s, t).item() == pytest.approx(math.log(3), rel=1e-5)
    # key 2 masked: both distributions over keys {0, 1}; student uniform -> log 2
    mask = torch.tensor([[1, 1, 0]])
    assert L.attention_kl(s, t, mask).item() == pytest.approx(math.log(2), rel=1e-5)


def test_attention_kl_gradient_closed_form():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(2, 3, 4, 4, generator=g, requires_grad=True)
    t = torch.randn(2, 3, 4, 4, generator=g)
    L.attention_kl(s, t).backward()
    closed = (F.softmax(s.detach(), -1) - F.softmax(t, -1)) / (2 * 3 * 4)
    assert torch.allclose(s.grad, closed, atol=1e-6)


def test_relation_scores_hand_value():
    x = torch.tensor([[[1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 2.0]]])  # B=1, T=2, H=4
    r = L.relation_scores(x, num_heads=2)  # d_head = 2
    assert r.shape == (1, 2, 2, 2)
    assert torch.allclose(r[0, 0], torch.eye(2) / math.sqrt(2))
    assert torch.allclose(r[0, 1], 4 * torch.eye(2) / math.sqrt(2))


def test_qkv_relation_loss_zero_gap_at_identity_and_sums_three_terms():
    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(2, 5, 8, generator=g) for _ in range(3))
    self_ce = sum(
        L.attention_kl(L.relation_scores(x, 2), L.relation_scores(x, 2)) for x in (q, k, v)
    )
    assert L.qkv_relation_loss((q, k, v), (q, k, v), 2).item() == pytest.approx(self_ce.item())
    # KL part is zero at identity: loss equals the teacher entropy; any other student is higher
    other = L.qkv_relation_loss((q * 0, k * 0, v * 0), (q, k, v), 2)
    assert other.item() > self_ce.item()


def test_hidden_mse_and_gradient():
    s = torch.tensor([[[1.0, 2.0]]], requires_grad=True)
    t = torch.tensor([[[0.0, 0.0]]])
    loss = L.hidden_mse(s, t)
    assert loss.item() == pytest.approx(2.5)
    loss.backward()
    assert torch.allclose(s.grad, torch.tensor([[[1.0, 2.0]]]))  # 2 (s - t) / 2


def test_pkd_cls_loss_normalises_cls_only():
    s = torch.zeros(1, 2, 2)
    s[0, 0] = torch.tensor([3.0, 0.0])
    s[0, 1] = torch.tensor([100.0, 100.0])  # non-CLS position ignored
    t = torch.zeros(1, 2, 2)
    t[0, 0] = torch.tensor([0.0, 5.0])
    # normalised: (1, 0) vs (0, 1) -> MSE = (1 + 1) / 2
    assert L.pkd_cls_loss(s, t).item() == pytest.approx(1.0)
    assert L.pkd_cls_loss(s * 7, t).item() == pytest.approx(1.0)  # scale invariant


def test_attention_score_mse_zeroes_masked_keys():
    s = torch.ones(1, 1, 2, 2)
    t = torch.zeros(1, 1, 2, 2)
    mask = torch.tensor([[1, 0]])
    assert L.attention_score_mse(s, t, mask).item() == pytest.approx(0.5)
