"""The learned motion encoder (issue 12): pairs, label-blindness, shapes, claims."""

import numpy as np
import pandas as pd
import pytest
import torch

from repro.twlv import claims as C
from repro.twlv.temporal import TemporalOrderEncoder


def _ramp_videos(n=3, length=12, size=16):
    """Video i, frame t: every pixel equals 10 * t + i, so a window's frames give its times."""
    t = np.arange(length)[None, :, None, None, None]
    i = np.arange(n)[:, None, None, None, None]
    return np.broadcast_to(10 * t + i, (n, length, size, size, 3)).astype(np.uint8)


def test_pairs_follow_one_direction_of_time_and_b_follows_a():
    enc = TemporalOrderEncoder(frames=4, size=16, max_gap=3, seed=0)
    videos = torch.from_numpy(_ramp_videos()).permute(0, 4, 1, 2, 3).float()
    a, b = enc._pairs(videos, 200, torch.Generator().manual_seed(0))
    assert a.shape == b.shape == (200, 3, 4, 16, 16)
    ta, tb = a[:, 0, :, 0, 0] // 10, b[:, 0, :, 0, 0] // 10  # frame times
    step_a, step_b = ta[:, 1:] - ta[:, :-1], tb[:, 1:] - tb[:, :-1]
    assert ((step_a == 1).all(1) | (step_a == -1).all(1)).all()  # consecutive frames
    assert (step_a[:, 0] == step_b[:, 0]).all()  # A and B run the same way
    forwards = step_a[:, 0] == 1
    # B starts 1..max_gap frames later along the direction of play.
    gap = torch.where(forwards, tb[:, 0] - ta[:, 0], ta[:, 0] - tb[:, 0])
    assert ((gap >= 1) & (gap <= 3)).all()
    assert 0.3 < forwards.float().mean() < 0.7
    same_video = a[:, 0, 0, 0, 0] % 10 == b[:, 0, 0, 0, 0] % 10
    assert same_video.all()


def test_encoder_is_label_blind_sized_and_keeps_global_rng():
    state = torch.random.get_rng_state()
    enc = TemporalOrderEncoder(frames=4, size=16, seed=0)
    assert torch.equal(state, torch.random.get_rng_state())
    rng = np.random.default_rng(0)
    videos = rng.integers(0, 255, (6, 8, 16, 16, 3), dtype=np.uint8)
    enc.fit(videos, steps=2, batch_size=4)  # no labels anywhere in the signature
    assert len(enc.losses) == 2
    emb = enc.encode(videos[:, :4])
    assert emb.shape == (6, 128) and emb.dtype == np.float32
    # Order matters to it: a clip and its reversal are embedded differently.
    assert not np.allclose(emb, enc.encode(np.ascontiguousarray(videos[:, 3::-1])))
    assert 0.0 <= enc.pretext_accuracy(videos, pairs=16) <= 100.0


def test_encoder_rejects_short_clips_and_videos():
    with pytest.raises(ValueError, match=">= 3 frames"):
        TemporalOrderEncoder(frames=2, size=16)
    enc = TemporalOrderEncoder(frames=4, size=16)
    with pytest.raises(ValueError, match="too short"):
        enc.fit(np.zeros((2, 4, 16, 16, 3), np.uint8), steps=1)


def test_learned_motion_claims_are_paired_by_seed():
    rows = []
    for seed, (img, tmp, pre) in enumerate([(12.0, 70.0, 88.0), (14.0, 80.0, 90.0)]):
        for enc, v in (("image", img), ("temporal", tmp), ("motion", 95.0)):
            rows.append({"seed": seed, "encoder": enc, "task": "motion", "protocol": "linear",
                         "metric": "top1", "value": v})  # fmt: skip
        rows.append({"seed": seed, "encoder": "temporal", "task": "pretext",
                     "protocol": "pretext", "metric": "accuracy", "value": pre})  # fmt: skip
    est = C.benchmark_estimates(pd.DataFrame(rows))
    np.testing.assert_allclose(est["fig2_temporal_motion"], [58.0, 66.0])
    np.testing.assert_allclose(est["control_pretext"], [38.0, 40.0])
    keys = [c.key for c in C.BENCHMARK_CLAIMS]
    assert {"fig2_temporal_motion", "control_pretext"} <= set(keys)
