"""Certified clip-mode kNN: the stacked fast path predicts exactly what the release's shapes do."""

import numpy as np
import torch
import torch.nn.functional as F

from repro.twlv.knn_certify import certified_votes, similarity_slack
from repro.twlv.official import RELEASE
from repro.twlv.official_knn import clip_predictions, official_knn, video_predictions
from repro.twlv.splits import make_split


def test_slack_bounds_float32_rounding_of_unit_dot_products():
    gen = torch.Generator().manual_seed(0)
    a = F.normalize(torch.randn(64, 1024, generator=gen), dim=1)
    b = F.normalize(torch.randn(1024, 2000, generator=gen), dim=0)
    error = (torch.mm(a, b).double() - torch.mm(a.double(), b.double())).abs().max()
    # each side may err by delta / 2; a real sum errs far less than the worst case
    assert 0 < error < similarity_slack(1024) / 2


def test_hand_case_certain_and_uncertain():
    # bank labels 0,0,1,1; k = 2; one query row per group
    labels = torch.tensor([0, 0, 1, 1])
    clear = torch.tensor([[0.9, 0.8, 0.1, 0.0]])
    tied = torch.tensor([[0.9, 0.5, 0.5, 0.0]])  # 2nd neighbour: class 0 or 1, a tie
    sim = torch.cat([clear, tied])
    best, certain = certified_votes(sim, torch.tensor([0, 1]), 2, labels, 2, 2, 0.1, 1e-4)
    assert best[0] == 0 and certain.tolist() == [True, True]
    # with the 1st neighbour of class 0 at 0.9 the tie cannot beat it: still certain.
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
        bank_t = F.normalize(torch.from_numpy(train.clips), dim=1).t().contiguous()
        bank_labels = torch.from_numpy(np.repeat(train.labels, np.diff(train.clip_offsets)))
        args = (val, bank_t, bank_labels, 12, RELEASE)
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
        bank_t = F.normalize(torch.from_numpy(train.video), dim=1).t().contiguous()
        args = (val, bank_t, torch.from_numpy(train.labels), 12, RELEASE)
        fast, recomputed = video_predictions(*args)
        exact, _ = video_predictions(*args, certify=False)
        assert torch.equal(fast, exact)
        assert (recomputed > 50) == quantised, recomputed
