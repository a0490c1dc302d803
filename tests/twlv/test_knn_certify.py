"""Certified clip-mode kNN: the stacked fast path predicts exactly what the release's shapes do."""

import numpy as np
import torch
import torch.nn.functional as F

from repro.twlv.knn_certify import certified_votes, certify, refined_votes, similarity_slack
from repro.twlv.official import RELEASE
from repro.twlv.official_knn import (
    clip_predictions,
    make_bank,
    official_knn,
    video_predictions,
)
from repro.twlv.splits import make_split


def test_slack_bounds_float32_rounding_of_unit_dot_products():
    gen = torch.Generator().manual_seed(0)
    a = F.normalize(torch.randn(64, 1024, generator=gen), dim=1)
    b = F.normalize(torch.randn(1024, 2000, generator=gen), dim=0)
    error = (torch.mm(a, b).double() - torch.mm(a.double(), b.double())).abs().max()
    # each side may err by delta / 2; a real sum errs far less than the worst case
    assert 0 < error < similarity_slack(1024) / 2


def test_normalising_a_row_alone_or_in_any_batch_gives_the_same_bits():
    # the certificate's premise: the release normalises bank clips alone, queries in 32s,
    # video banks in 1,024s; we normalise stacked blocks
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2100, 1024, generator=gen) * torch.rand(2100, 1, generator=gen) * 5
    whole = F.normalize(x, dim=1)
    for size in (1, 3, 32, 1024):
        assert torch.equal(whole, torch.cat([F.normalize(p, dim=1) for p in x.split(size)]))


def test_hand_case_certain_and_uncertain():
    # bank labels 0,0,1,1; k = 2; one query row per group
    labels = torch.tensor([0, 0, 1, 1])
    clear = torch.tensor([[0.9, 0.8, 0.1, 0.0]])
    tied = torch.tensor([[0.9, 0.5, 0.5, 0.0]])  # 2nd neighbour: class 0 or 1, a tie
    sim = torch.cat([clear, tied])
    # the tie cannot beat the 1st neighbour of class 0 at 0.9: both certain
    best, certain = certified_votes(sim, torch.tensor([0, 1]), 2, labels, 2, 2, 0.1, 1e-4)
    assert best[0] == 0 and certain.tolist() == [True, True]
    close = torch.tensor([[0.50, 0.49999, 0.5, 0.0]])  # top-1 class 0 vs 1 within delta
    best, certain = certified_votes(close, torch.tensor([0]), 1, labels, 2, 1, 0.1, 1e-4)
    assert not certain[0]


def _split(rng, n, num_classes, dim, quantised, clip_range=(2, 5)):
    labels = np.arange(n) % num_classes
    means = rng.normal(size=(num_classes, dim))
    per_video = []
    for y in labels:
        clips = means[y] + 1.5 * rng.normal(size=(int(rng.integers(*clip_range)), dim))
        per_video.append(np.sign(clips) if quantised else clips)
    return make_split(labels, [c.astype(np.float32) for c in per_video])


def test_certified_clip_knn_equals_the_release_shapes():
    rng = np.random.default_rng(0)
    recomputed = {}
    for quantised in (False, True):  # sign vectors tie often: the fallback must take over
        train = _split(rng, 1200, 12, 64, quantised)
        val = _split(rng, 300, 12, 64, quantised)
        bank_labels = torch.from_numpy(np.repeat(train.labels, np.diff(train.clip_offsets)))
        args = (val, make_bank(torch.from_numpy(train.clips), bank_labels), 12, RELEASE)
        fast, recomputed[quantised] = clip_predictions(*args)
        exact, all_videos = clip_predictions(*args, certify=False)
        assert torch.equal(fast, exact) and all_videos == 300
    assert recomputed[False] < 10 < recomputed[True] < 300, recomputed


def test_official_knn_reports_recomputed_videos():
    rng = np.random.default_rng(1)
    train, val = _split(rng, 1100, 5, 32, False), _split(rng, 50, 5, 32, False)
    fast = official_knn(train, val, 5, "clip")
    exact = official_knn(train, val, 5, "clip", certify=False)
    assert fast["top1"] == exact["top1"] and exact["recomputed_videos"] == 50


def test_certified_video_knn_equals_the_release_batches():
    rng = np.random.default_rng(2)
    for quantised in (False, True):
        # one clip per video, so sign vectors reach the video embeddings and tie often
        train = _split(rng, 1500, 12, 64, quantised, clip_range=(1, 2))
        val = _split(rng, 1000, 12, 64, quantised, clip_range=(1, 2))  # 31 batches of 32, 1 short
        bank = make_bank(torch.from_numpy(train.video), torch.from_numpy(train.labels))
        args = (val, bank, 12, RELEASE)
        fast, recomputed = video_predictions(*args)
        exact, _ = video_predictions(*args, certify=False)
        assert torch.equal(fast, exact)
        assert (recomputed > 50) == quantised, recomputed


def test_second_pass_separates_what_the_first_cannot():
    # exact similarities 0.5 and 0.4999 (class 0 vs 1, k = 1): within the worst-case 2 delta,
    # but the query touches one coordinate, so sum |x_i y_i| = 0.5 halves the release's error
    query = torch.tensor([[1.0, 0.0, 0.0]])
    bank = torch.tensor([[0.5, 0.75**0.5, 0.0], [0.4999, 0.0, (1 - 0.4999**2) ** 0.5]])
    labels, sim, one = torch.tensor([0, 1]), query @ bank.T, torch.tensor([0])
    args = (one, 1, labels, 2, 1, 0.1, 1e-4)
    assert not certified_votes(sim, *args)[1][0]
    best, certain = refined_votes(query, sim, bank, *args)
    assert best[0] == 0 and certain[0]
    # 0.49995 is within the release's per-item error: still uncertain
    bank[1] = torch.tensor([0.49995, 0.0, (1 - 0.49995**2) ** 0.5])
    assert not refined_votes(query, query @ bank.T, bank, *args)[1][0]


def test_second_pass_certifies_more_and_agrees_with_the_release_batches():
    rng = np.random.default_rng(3)
    train = _split(rng, 3000, 40, 256, False, clip_range=(1, 2))
    val = _split(rng, 1024, 40, 256, False, clip_range=(1, 2))
    bank = make_bank(torch.from_numpy(train.video), torch.from_numpy(train.labels))
    queries = F.normalize(torch.from_numpy(val.video), dim=1)
    sim, group = queries @ bank.t, torch.arange(1024)
    args = (bank.labels, 40, RELEASE.knn_k, RELEASE.knn_temperature)
    _, first = certified_votes(sim, group, 1024, *args, similarity_slack(256))
    best, both = certify(queries, sim, bank.rows, group, 1024, *args)
    exact, _ = video_predictions(val, bank, 40, RELEASE, certify=False)
    assert (~both).sum() < (~first).sum(), ((~both).sum(), (~first).sum())
    assert torch.equal(best[both], exact[both])
