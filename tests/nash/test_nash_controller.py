"""Lagrangian controller and the linear target ramp."""

import pytest
import torch

from repro.nash.arch import random_t5, tiny_t5_config
from repro.nash.controller import LagrangianController, ramped_target
from repro.nash.masks import ENCODER_GROUPS, L0Masks
from repro.nash.sparsity import encoder_prunable
from repro.nash.synthetic import SyntheticTask, make_dataset
from repro.nash.train import PruneConfig, prune_train


def test_ramp():
    assert ramped_target(0, 0.6, 100) == 0.0
    assert ramped_target(50, 0.6, 100) == pytest.approx(0.3)
    assert ramped_target(100, 0.6, 100) == pytest.approx(0.6)
    assert ramped_target(500, 0.6, 100) == pytest.approx(0.6)
    assert ramped_target(0, 0.6, 0) == pytest.approx(0.6)


@pytest.mark.parametrize(("target", "warmup"), [(1.0, 10), (-0.1, 10), (0.5, -1)])
def test_ramp_rejects_bad_values(target, warmup):
    with pytest.raises(ValueError):
        ramped_target(0, target, warmup)


def test_penalty_and_gradient_ascent_signs():
    ctl = LagrangianController()
    with torch.no_grad():
        ctl.lambda_1.fill_(2.0)
        ctl.lambda_2.fill_(3.0)
    s = torch.tensor(0.2, requires_grad=True)
    pen = ctl(s, 0.5)  # gap -0.3: 2 * -0.3 + 3 * 0.09
    assert pen.item() == pytest.approx(-0.6 + 0.27)
    pen.backward()
    ctl.ascend_()
    # ascent on lambda_1 moves it by +gap direction: grad was gap = -0.3, negated to +0.3
    assert float(ctl.lambda_1.grad) == pytest.approx(0.3)
    assert float(ctl.lambda_2.grad) == pytest.approx(-0.09)


def test_controller_moves_expected_sparsity_to_target():
    cfg = tiny_t5_config(vocab_size=16, d_model=8, d_ff=16, num_heads=2, num_layers=1)
    model = random_t5(cfg, seed=0)
    masks = L0Masks(cfg, ENCODER_GROUPS, seed=0)
    task = SyntheticTask(
        vocab_size=16, num_keywords=4, min_source_len=3, max_source_len=4, max_target_len=2
    )
    data = make_dataset(task, 32, seed=0)
    pcfg = PruneConfig(
        target_sparsity=0.5,
        steps=200,
        warmup_steps=50,
        lr=1e-3,
        reg_lr=0.1,
        batch_size=4,
        distill=False,
    )
    hist = prune_train(model, masks, data, pcfg, prunable=encoder_prunable(cfg), seed=0)
    first, last = hist[0]["expected_sparsity"], hist[-1]["expected_sparsity"]
    assert first < 0.2
    assert abs(last - 0.5) < 0.1  # close to the target despite the task loss
    assert hist[-1]["target"] == pytest.approx(0.5)
    assert hist[-1]["lambda_2"] > 0  # ascent: lambda_2 only grows (its gradient is gap^2 >= 0)


def test_controller_alone_reaches_target():
    # Masks trained on the Lagrangian term only (no task loss) settle at the target.
    cfg = tiny_t5_config(d_ff=32, num_layers=2)
    masks = L0Masks(cfg, ENCODER_GROUPS, seed=0)
    ctl = LagrangianController()
    opt = torch.optim.AdamW([*masks.parameters(), *ctl.parameters()], lr=0.05, weight_decay=0.0)
    prunable = encoder_prunable(cfg)
    for step in range(400):
        s_hat = 1.0 - masks.expected_remaining() / prunable
        loss = ctl(s_hat, ramped_target(step, 0.6, 200))
        opt.zero_grad()
        loss.backward()
        ctl.ascend_()
        opt.step()
        masks.constrain_()
    final = (1.0 - masks.expected_remaining() / prunable).item()
    assert final == pytest.approx(0.6, abs=0.05)
