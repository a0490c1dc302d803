"""Probe options of issue 11: standardisation, step budgets, refit, the full-width pooler, kNN k."""

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from repro.twlv import io, knn, linear, pooler


def _blobs(n, num_classes=4, dim=8, noise=0.4, seed=0, scale=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    means = np.random.default_rng(7).normal(size=(num_classes, dim))
    y = rng.integers(0, num_classes, n)
    x = means[y] + noise * rng.normal(size=(n, dim))
    return (scale * x + shift).astype(np.float32), y


# ------------------------------------------------------------------ standardisation


def test_batchnorm_without_affine_standardises_and_has_no_parameters():
    norm = linear.standardizer(3, True).train()
    assert list(norm.parameters()) == []
    x = torch.randn(500, 3, generator=torch.Generator().manual_seed(0)) * 7 + 40
    out = norm(x)
    torch.testing.assert_close(out.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(0, unbiased=False), torch.ones(3), atol=1e-4, rtol=0)
    assert isinstance(linear.standardizer(3, False), torch.nn.Identity)


def test_standardizer_evaluates_with_the_average_of_batch_statistics():
    norm = linear.standardizer(1, True).train()
    norm(torch.tensor([[1.0], [3.0]]))  # mean 2, unbiased var 2
    norm(torch.tensor([[5.0], [7.0]]))  # mean 6, unbiased var 2
    assert norm.running_mean.item() == pytest.approx(4.0)
    assert norm.running_var.item() == pytest.approx(2.0)
    norm.eval()
    assert norm(torch.tensor([[4.0 + 2**0.5]])).item() == pytest.approx(1.0, abs=1e-5)


def test_standardisation_rescues_badly_scaled_features():
    # Features 100x too large and shifted: plain SGD at these rates diverges or stalls.
    (xt, yt), (xv, yv) = (
        _blobs(400, seed=1, scale=100, shift=500),
        _blobs(200, seed=2, scale=100, shift=500),
    )
    train, val = io.split_from_arrays(xt, yt), io.split_from_arrays(xv, yv)
    base = linear.ProbeProtocol("t", "sgd", (0.1,), epochs=20, warmup_epochs=1, batch_size=64)
    plain = linear.linear_probe(train, val, 4, base)
    std = linear.linear_probe(train, val, 4, dataclasses.replace(base, standardize=True))
    assert std.top1 > 95 and std.top1 > plain.top1


# ---------------------------------------------------------------------- step budgets


def test_step_budget_becomes_whole_epochs_and_keeps_the_warmup_share():
    p = linear.ProbeProtocol(
        "t", "sgd", (0.1,), epochs=30, warmup_epochs=2, batch_size=256, steps=300
    )
    # 540 rows, batch 256: 3 steps per epoch (the last one partial) -> 100 epochs, 7 warm-up.
    assert p.schedule(540) == (100, 7)
    # drop_last: 2 steps per epoch -> 150 epochs, 10 warm-up.
    assert dataclasses.replace(p, drop_last=True).schedule(540) == (150, 10)
    # A batch larger than the split is one step per epoch.
    assert p.schedule(100) == (300, 20)
    assert dataclasses.replace(p, steps=0).schedule(540) == (30, 2)
    with pytest.raises(ValueError, match="steps"):
        dataclasses.replace(p, steps=-1)


# ---------------------------------------------------------------------------- refit


def test_refit_trains_the_chosen_setting_on_every_training_row():
    (xt, yt), (xv, yv) = _blobs(200, seed=3, noise=1.2), _blobs(100, seed=4, noise=1.2)
    train, val = io.split_from_arrays(xt, yt), io.split_from_arrays(xv, yv)
    p = linear.ProbeProtocol("t", "sgd", (0.1,), epochs=5, warmup_epochs=1, batch_size=32)
    held = linear.linear_probe(train, val, 4, p, seed=2)
    refit = linear.linear_probe(train, val, 4, dataclasses.replace(p, refit=True), seed=2)
    direct = linear.linear_probe(
        train, val, 4, dataclasses.replace(p, holdout_fraction=0.0), seed=2
    )
    assert held.fit_rows == 180 and refit.fit_rows == direct.fit_rows == 200
    # The refit is exactly a run on all 200 rows with the chosen setting and the same seed.
    assert (refit.top1, refit.top5) == (direct.top1, direct.top5)
    assert refit.holdout_top1 == held.holdout_top1


def test_refit_keeps_the_setting_chosen_on_the_holdout():
    (xt, yt), (xv, yv) = _blobs(300, seed=5), _blobs(100, seed=6)
    train, val = io.split_from_arrays(xt, yt), io.split_from_arrays(xv, yv)
    p = linear.ProbeProtocol(
        "t", "sgd", (1e-5, 0.1), epochs=5, warmup_epochs=1, batch_size=32, refit=True
    )
    out = linear.linear_probe(train, val, 4, p)
    assert out.lr == p.lrs[int(np.argmax(out.holdout_top1))] == 0.1
    assert out.fit_rows == 300


# ----------------------------------------------------------------- full-width pooler


def test_pooler_shapes_any_width():
    params = pooler.init_pooler(2, 6, 3, num_heads=4, mlp_ratio=2.0, seed=0)
    assert params["query"].shape == (2, 6)
    assert params["w_q"].shape == params["w_k"].shape == (2, 6, 8)  # 4 heads x ceil(6/4)
    assert params["w_o"].shape == (2, 8, 6) and params["w_1"].shape == (2, 6, 12)
    assert params["w_c"].shape == (2, 6, 3) and params["b_c"].shape == (2, 3)
    torch.testing.assert_close(params["w_k"][0], params["w_k"][1])  # one draw for all R
    out = pooler.pooler_logits(params, torch.randn(5, 3, 6), torch.ones(5, 3, dtype=torch.bool))
    assert out.shape == (2, 5, 3)


def test_pooler_one_token_by_hand():
    """With one clip the attention weight is 1: the block reduces to plain matrix algebra."""
    p = pooler.init_pooler(1, 4, 2, num_heads=2, mlp_ratio=1.5, seed=3)
    gen = torch.Generator().manual_seed(1)
    for key in p:
        if key.startswith("b_"):
            p[key] = torch.randn(p[key].shape, generator=gen)  # non-zero biases
    x = torch.randn(1, 1, 4, generator=gen)
    got = pooler.pooler_logits(p, x, torch.ones(1, 1, dtype=torch.bool))[0, 0]

    def ln(v):
        return (v - v.mean()) / torch.sqrt(v.var(unbiased=False) + 1e-5)

    g = {k: v[0] for k, v in p.items() if k != "num_heads"}
    value = ln(x[0, 0]) @ g["w_v"] + g["b_v"]
    z = g["query"] + value @ g["w_o"] + g["b_o"]
    z = z + F.gelu(ln(z) @ g["w_1"] + g["b_1"]) @ g["w_2"] + g["b_2"]
    torch.testing.assert_close(got, z @ g["w_c"] + g["b_c"])


def test_pooler_ignores_padding_even_with_standardisation():
    params = pooler.init_pooler(2, 4, 3, num_heads=2, mlp_ratio=1.0, seed=0)
    norm = linear.standardizer(4, True).train()
    norm(torch.randn(64, 4) * 3 + 1)
    norm.eval()
    x = torch.randn(1, 2, 4)
    padded = pooler.pooler_logits(params, x, torch.tensor([[True, False]]), norm)
    alone = pooler.pooler_logits(params, x[:, :1], torch.tensor([[True]]), norm)
    torch.testing.assert_close(padded, alone)


def test_pooler_probe_learns_and_refits_on_all_rows():
    x, y = _blobs(240, noise=0.3)
    rng = np.random.default_rng(1)
    per_video = [np.stack([x[i], rng.normal(size=8).astype(np.float32)]) for i in range(240)]
    split = io.make_split(y, per_video)
    p = linear.ProbeProtocol(
        "a", "adamw", (1e-3, 1e-2), (1e-5,), epochs=1, warmup_epochs=0, batch_size=32,
        standardize=True, steps=120, refit=True,
    )  # fmt: skip
    out = pooler.pooler_probe(split, split, 4, p, mlp_ratio=1.0)
    assert out.top1 > 85 and out.fit_rows == 240 and len(out.holdout_top1) == 2


# ---------------------------------------------------------------------- kNN and k


def test_scaled_k_by_hand():
    # K400: 235,693 / 400 = 589.2 videos per class; k = 200 reads 0.339 of a class.
    assert knn.scaled_k(600, 8) == round(200 * 75 / 589.2325) == 25
    assert knn.scaled_k(1800, 8) == 76
    assert knn.scaled_k(10, 8) == 1
    assert knn.scaled_k(knn.K400_TRAIN_VIDEOS, knn.K400_CLASSES) == 200


def test_knn_sensitivity_equals_single_runs():
    (xt, yt), (xv, yv) = _blobs(120, seed=8, noise=1.0), _blobs(40, seed=9, noise=1.0)
    train, val = io.split_from_arrays(xt, yt), io.split_from_arrays(xv, yv)
    out = knn.knn_sensitivity(train, val, 4, "video", (1, 5, 500))
    for k, top1 in out.items():
        assert top1 == knn.knn_evaluate(train, val, 4, "video", k=k)["top1"]
    assert math.isfinite(out[500])  # k beyond the bank is clipped to it
