"""Metrics, kNN, linear and attentive probes on hand-computed and toy cases."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from repro.twlv import attentive, io, knn, lbfgs, linear, metrics, optim, pooler


def _blobs(n, num_classes=5, dim=16, noise=1.5, seed=0):
    rng = np.random.default_rng(seed)
    means = np.random.default_rng(123).normal(size=(num_classes, dim))
    y = rng.integers(0, num_classes, n)
    return (means[y] + noise * rng.normal(size=(n, dim))).astype(np.float32), y


# ------------------------------------------------------------------------------- metrics


def test_topk_hand_computed():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]])
    labels = np.array([1, 1, 0, 0])
    assert metrics.topk_accuracy(scores, labels, 1) == 25.0
    assert metrics.topk_accuracy(scores, labels, 2) == 75.0
    assert metrics.topk_accuracy(scores, labels, 5) == 100.0


def test_topk_ties_go_to_lower_index():
    assert metrics.topk_accuracy(np.zeros((2, 3)), np.array([0, 1]), 1) == 50.0


def test_topk_shape_mismatch():
    with pytest.raises(ValueError, match="do not match"):
        metrics.topk_accuracy(np.zeros((2, 3)), np.array([0]), 1)


def test_mean_over_groups():
    out = metrics.mean_over_groups(np.array([[1.0, 0], [3, 2], [5, 5]]), np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(out, [[2, 1], [5, 5]])


def test_summarise_seeds():
    df = pd.DataFrame({"task": ["a", "a", "b"], "seed": [0, 1, 0], "value": [1.0, 3.0, 5.0]})
    out = metrics.summarise_seeds(df, ["task"])
    assert out["mean"].tolist() == [2.0, 5.0]
    assert out["std"].tolist() == pytest.approx([np.sqrt(2), 0.0])
    assert out["n_seeds"].tolist() == [2, 1]


def test_warmup_cosine_schedule():
    assert optim.warmup_cosine(0, 10, 2) == 0.5
    assert optim.warmup_cosine(1, 10, 2) == 1.0
    assert optim.warmup_cosine(2, 10, 2) == 1.0
    assert optim.warmup_cosine(6, 10, 2) == pytest.approx(0.5)
    assert optim.warmup_cosine(10, 10, 2) == pytest.approx(0.0)


@pytest.mark.parametrize("kind", ["sgd", "adam", "adamw"])
def test_batched_optimizer_matches_torch(kind):
    torch.manual_seed(0)  # test-only: torch's reference optimisers read no generator
    target = torch.randn(2, 3)
    lrs, wds = torch.tensor([0.1, 0.01]), torch.tensor([0.0, 0.1])
    p = torch.zeros(2, 3, requires_grad=True)
    ours = optim.BatchedOptimizer([p], lrs, wds, kind)
    refs = []
    for r in range(2):
        q = torch.zeros(3, requires_grad=True)
        cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
        extra = {"momentum": 0.9} if kind == "sgd" else {}
        refs.append((q, cls([q], lr=float(lrs[r]), weight_decay=float(wds[r]), **extra)))
    for _ in range(5):
        ((p - target) ** 2).sum().backward()
        ours.step(1.0)
        for r, (q, opt) in enumerate(refs):
            opt.zero_grad()
            ((q - target[r]) ** 2).sum().backward()
            opt.step()
    for r, (q, _) in enumerate(refs):
        torch.testing.assert_close(p[r].detach(), q.detach())


# ------------------------------------------------------------------------------------ kNN


def _brute_force_knn(bank, bank_labels, queries, num_classes, k, temperature):
    bank = bank / np.linalg.norm(bank, axis=1, keepdims=True)
    queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    out = np.zeros((len(queries), num_classes))
    for i, q in enumerate(queries):
        sim = bank @ q
        for j in np.argsort(-sim)[:k]:
            out[i, bank_labels[j]] += np.exp(sim[j] / temperature)
    return out


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_knn_scores_equal_brute_force(chunk_size):
    bank, labels = _blobs(120, seed=1)
    queries, _ = _blobs(30, seed=2)
    ours = knn.knn_scores(bank, labels, queries, 5, k=20, temperature=0.1, chunk_size=chunk_size)
    ref = _brute_force_knn(bank.astype(np.float64), labels, queries, 5, 20, 0.1)
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-3)
    np.testing.assert_array_equal(ours.argmax(1).numpy(), ref.argmax(1))


def test_knn_hand_computed_vote():
    bank = np.array([[1.0, 0], [0, 1], [1, 1]])
    scores = knn.knn_scores(bank, np.array([0, 1, 1]), np.array([[2.0, 0]]), 2, k=2, temperature=1)
    np.testing.assert_allclose(scores.numpy(), [[np.e, np.exp(np.sqrt(0.5))]], rtol=1e-6)


def test_knn_separable_is_perfect():
    x, y = _blobs(200, noise=0.05)
    split = io.split_from_arrays(x, y)
    assert knn.knn_evaluate(split, split, 5, "video", k=10)["top1"] == 100.0


def test_knn_clip_mode_sums_clip_scores():
    train = io.make_split(
        np.array([0, 1]), [np.array([[1.0, 0], [0.9, 0.1]]), np.array([[0.0, 1]])]
    )
    val = io.make_split(np.array([1]), [np.array([[0.1, 1.0], [0.2, 1.0], [1.0, 0.05]])])
    clips = knn.knn_scores(train.clips, [0, 0, 1], val.clips, 2, k=3, temperature=0.1)
    expected = clips.sum(0).argmax().item()
    out = knn.knn_evaluate(train, val, 2, "clip", k=3)
    assert out["top1"] == (100.0 if expected == 1 else 0.0)


def test_knn_unknown_mode():
    split = io.split_from_arrays(*_blobs(10))
    with pytest.raises(ValueError, match="'frames'"):
        knn.knn_evaluate(split, split, 5, "frames")


# ------------------------------------------------------------------------- linear probe


def test_lbfgs_probe_within_one_point_of_sklearn():
    from sklearn.linear_model import LogisticRegression

    (xt, yt), (xv, yv) = _blobs(2000, seed=3), _blobs(1000, seed=4)
    ref = 100 * LogisticRegression(max_iter=1000).fit(xt, yt).score(xv, yv)
    ours = lbfgs.lbfgs_probe(io.split_from_arrays(xt, yt), io.split_from_arrays(xv, yv), 5)
    assert abs(ours.top1 - ref) <= 1.0
    assert 60 < ref < 99  # separable but noisy


def test_fit_lbfgs_stops_at_the_first_point_reaching_the_target():
    (xt, yt) = _blobs(2000, seed=3)
    x, y = torch.from_numpy(xt).float(), torch.from_numpy(yt).long()

    def objective(fit):
        ce = torch.nn.functional.cross_entropy(x @ fit.weight + fit.bias, y)
        return float(ce + (fit.weight**2).sum() / (2 * len(x)))

    full = lbfgs.fit_lbfgs(x, y, 5, max_iter=50, tol=0.0)
    start = objective(lbfgs.fit_lbfgs(x, y, 5, max_iter=1, tol=0.0))
    target = (start + objective(full)) / 2  # halfway down: reached after a few iterations
    early = lbfgs.fit_lbfgs(x, y, 5, max_iter=50, tol=0.0, stop_at=target)
    assert objective(early) <= target < start
    assert 1 <= early.iterations < full.iterations
    assert early.evaluations < full.evaluations


def test_sgd_sweep_within_one_point_of_sklearn():
    from sklearn.linear_model import LogisticRegression

    (xt, yt), (xv, yv) = _blobs(2000, seed=3), _blobs(1000, seed=4)
    ref = 100 * LogisticRegression(max_iter=1000).fit(xt, yt).score(xv, yv)
    protocol = linear.ProbeProtocol(
        "t", "sgd", (0.003, 0.03, 0.3), epochs=20, warmup_epochs=2, batch_size=128
    )
    ours = linear.linear_probe(
        io.split_from_arrays(xt, yt), io.split_from_arrays(xv, yv), 5, protocol
    )
    assert abs(ours.top1 - ref) <= 1.0
    assert len(ours.holdout_top1) == 3 and ours.lr in protocol.lrs


def test_sweep_equals_separate_runs():
    (xt, yt), (xv, yv) = _blobs(300, seed=5), _blobs(100, seed=6)
    train, val = io.split_from_arrays(xt, yt), io.split_from_arrays(xv, yv)
    base = linear.ProbeProtocol(
        "t", "adam", (1e-3, 1e-2, 1e-1), epochs=3, warmup_epochs=1, batch_size=64
    )
    together = linear.linear_probe(train, val, 5, base, seed=1)
    alone = [
        linear.linear_probe(train, val, 5, dataclasses.replace(base, lrs=(lr,)), seed=1)
        for lr in base.lrs
    ]
    assert together.holdout_top1 == [a.holdout_top1[0] for a in alone]
    assert together.top1 == alone[int(np.argmax(together.holdout_top1))].top1


def test_linear_probe_is_deterministic():
    split = io.split_from_arrays(*_blobs(200))
    protocol = linear.ProbeProtocol(
        "t", "sgd", (0.1, 0.01), epochs=2, warmup_epochs=1, batch_size=32
    )
    a = linear.linear_probe(split, split, 5, protocol, seed=3)
    b = linear.linear_probe(split, split, 5, protocol, seed=3)
    assert (a.top1, a.holdout_top1) == (b.top1, b.holdout_top1)


def test_clip_mode_averages_softmax_over_clips():
    rng = np.random.default_rng(0)
    x, y = _blobs(150, noise=0.3)
    per_video = [x[i] + 0.1 * rng.normal(size=(3, 16)).astype(np.float32) for i in range(150)]
    split = io.make_split(y, per_video)
    protocol = linear.ProbeProtocol("t", "sgd", (0.1,), epochs=10, warmup_epochs=1, batch_size=32)
    out = linear.linear_probe(split, split, 5, protocol, mode="clip")
    assert out.top1 > 95


def test_protocols_follow_the_paper_and_release():
    paper = linear.paper_protocol("SSv2")
    assert (paper.epochs, paper.lrs, paper.batch_size, paper.warmup_epochs) == (
        50,
        (0.075,),
        1024,
        10,
    )
    assert paper.weight_decays == (0.0,)
    release = linear.release_protocol()
    assert (release.optimizer, release.lrs, release.epochs, release.drop_last) == (
        "adam",
        (1e-3,),
        150,
        True,
    )
    ap = attentive.attentive_protocol("DV48")
    assert (ap.epochs, ap.lrs, ap.weight_decays, ap.batch_size) == (50, (1e-3,), (1e-5,), 256)


def test_protocol_rejects_sweep_without_holdout():
    with pytest.raises(ValueError, match="holdout_fraction > 0"):
        linear.ProbeProtocol("t", "sgd", (0.1, 0.2), holdout_fraction=0.0)


def test_holdout_never_touches_val():
    fit, hold = linear.holdout_split(100, 0.1, seed=0)
    assert len(hold) == 10 and set(fit).isdisjoint(hold) and len(fit) + len(hold) == 100


# ----------------------------------------------------------------------- attentive probe


def test_attentive_probe_learns_separable_data():
    x, y = _blobs(300, noise=0.3)
    rng = np.random.default_rng(1)
    per_video = [np.stack([x[i], rng.normal(size=16).astype(np.float32)]) for i in range(300)]
    split = io.make_split(y, per_video)
    protocol = attentive.attentive_protocol("K400", lrs=(1e-2,))
    protocol = dataclasses.replace(protocol, epochs=15, batch_size=64, holdout_fraction=0.0)
    out = pooler.pooler_probe(split, split, 5, protocol, mlp_ratio=1.0)
    assert out.top1 > 90


def test_attentive_mask_ignores_padding():
    params = pooler.init_pooler(2, 4, 3, num_heads=2, mlp_ratio=1.0, seed=0)
    x = torch.randn(1, 2, 4)
    mask = torch.tensor([[True, False]])
    padded = pooler.pooler_logits(params, x, mask)
    alone = pooler.pooler_logits(params, x[:, :1], mask[:, :1])
    torch.testing.assert_close(padded, alone)


def test_batched_logits_equal_per_head_products():
    gen = torch.Generator().manual_seed(0)
    x, w, b = (
        torch.randn(5, 3, generator=gen),
        torch.randn(4, 3, 2, generator=gen),
        torch.randn(4, 2),
    )
    out = linear.batched_logits(x, w, b)
    assert out.shape == (4, 5, 2)
    for r in range(4):
        torch.testing.assert_close(out[r], x @ w[r] + b[r])
