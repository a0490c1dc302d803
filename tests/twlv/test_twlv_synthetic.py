"""Synthetic videos, label-blind encoders, geometry analyses and the experiment runner."""

import inspect

import numpy as np
import pytest
import torch

from repro.twlv import encoders, runner, synthetic, viz
from repro.twlv.config import ALL_ENCODERS, SyntheticBenchmarkConfig

SMALL = dict(n_train=24, n_val=8, n_clips=2, frames_per_clip=4, size=16)


@pytest.fixture(scope="module")
def data():
    return synthetic.generate_benchmark(**SMALL, seed=0)


def test_generator_shapes_and_dtypes(data):
    assert data["train_videos"].shape == (24, 8, 16, 16, 3)
    assert data["train_videos"].dtype == np.uint8
    assert data["val_motion"].shape == (8,)
    assert data["train_appearance"].max() < 8 and data["train_motion"].max() < 8


def test_generator_is_deterministic(data):
    again = synthetic.generate_benchmark(**SMALL, seed=0)
    other = synthetic.generate_benchmark(**SMALL, seed=1)
    for key in data:
        np.testing.assert_array_equal(data[key], again[key])
    assert not np.array_equal(data["train_videos"], other["train_videos"])


def test_generator_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_shapes 7"):
        synthetic.generate_benchmark(n_shapes=7)


def test_straight_up_moves_up_and_bounce_returns():
    rng = np.random.default_rng(0)
    up = synthetic._trajectory(5, direction=0, pattern=0, speed=1, start=(10, 10), size=32)
    assert up[:, 0].tolist() == [10, 9, 8, 7, 6] and set(up[:, 1]) == {10}
    bounce = synthetic._trajectory(6, direction=3, pattern=1, speed=2, start=(0, 0), size=32)
    assert bounce[:, 1].tolist() == [0, 2, 4, 6, 4, 2]
    video = synthetic.render_video(0, 0, 0, 0, 4, 16, rng)
    assert video.shape == (4, 16, 16, 3)


def test_reversed_labels():
    names = synthetic.motion_class_names()
    assert names[0] == "straight up" and names[5] == "bounce down"
    np.testing.assert_array_equal(
        synthetic.reversed_motion_label(np.arange(8)), [1, 0, 3, 2, 4, 5, 6, 7]
    )


def test_views(data):
    videos = data["val_videos"]
    clips = synthetic.multi_clip_view(videos, 2)
    np.testing.assert_array_equal(clips[:, 1], videos[:, 4:])
    np.testing.assert_array_equal(synthetic.uniform_view(videos, 3)[:, 1], videos[:, 4])
    np.testing.assert_array_equal(synthetic.reverse_videos(videos)[:, 0], videos[:, -1])
    with pytest.raises(ValueError, match="cannot be cut into 3"):
        synthetic.multi_clip_view(videos, 3)


def test_palindromic_mean_is_exact_under_reversal():
    x = torch.randn(3, 7, 5)
    assert torch.equal(encoders.palindromic_mean(x), encoders.palindromic_mean(x.flip(1)))
    torch.testing.assert_close(encoders.palindromic_mean(x), x.mean(1))


def test_image_encoder_identical_for_clip_and_reversal(data):
    model = encoders.ImageEncoder(dim=32, seed=0)
    clips = data["val_videos"]
    forward = model.encode(clips)
    backward = model.encode(synthetic.reverse_videos(clips))
    np.testing.assert_array_equal(forward, backward)
    assert forward.shape == (8, 64)


def test_motion_encoder_sees_direction(data):
    model = encoders.MotionEncoder(radius=3)
    clips = data["val_videos"]
    forward = model.encode(clips)
    assert forward.shape == (8, 3 * 49)
    assert not np.allclose(forward, model.encode(synthetic.reverse_videos(clips)))


def test_motion_encoder_peak_at_velocity():
    frames = np.zeros((1, 4, 16, 16, 3), np.uint8)
    for t in range(4):
        frames[0, t, 6:9, 2 + 2 * t : 5 + 2 * t] = 255  # moves right by 2 px per frame
    maps = encoders.MotionEncoder(radius=3).velocity_maps(encoders._to_float(frames).mean(dim=2))
    peak = maps[0, 0].argmax().item()
    assert divmod(peak, 7) == (3, 5)  # (dy, dx) = (0, +2) offset by the radius


def test_videomae_trains_and_is_seeded(data):
    clips = synthetic.multi_clip_view(data["train_videos"], 2).reshape(-1, 4, 16, 16, 3)
    a = encoders.VideoMAEEncoder(4, 16, tube=(2, 8), width=16, depth=1, heads=2, seed=3)
    b = encoders.VideoMAEEncoder(4, 16, tube=(2, 8), width=16, depth=1, heads=2, seed=3)
    state = torch.random.get_rng_state()
    a.fit(clips, steps=5, batch_size=8)
    b.fit(clips, steps=5, batch_size=8)
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched
    assert a.losses == b.losses
    np.testing.assert_array_equal(a.encode(clips[:3]), b.encode(clips[:3]))
    assert a.encode(clips[:3]).shape == (3, 2 * 16)


def test_encoders_are_label_blind():
    for cls in (encoders.ImageEncoder, encoders.MotionEncoder, encoders.VideoMAEEncoder):
        for method in ("__init__", "encode", "fit"):
            if hasattr(cls, method):
                params = inspect.signature(getattr(cls, method)).parameters
                assert not any("label" in p or p in ("y", "target") for p in params), (cls, method)


def test_forward_reversed_at_chance_for_identical_embeddings():
    x = np.random.default_rng(0).normal(size=(20, 4))
    out = viz.forward_reversed_analysis(x, x.copy(), seed=0)
    assert out["accuracy"] == 50.0
    assert np.all(out["lda_forward"] == 0)


def test_forward_reversed_separable():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4))
    shift = np.array([3.0, 0, 0, 0])
    out = viz.forward_reversed_analysis(x + shift, x - shift, seed=0)
    assert out["accuracy"] == 100.0 and out["auc"] == 100.0
    assert out["lda_forward"].mean() * out["lda_reversed"].mean() < 0


def test_maps_and_plots():
    x = np.random.default_rng(0).normal(size=(30, 5))
    labels = np.arange(30) % 3
    assert viz.pca_2d(x).shape == (30, 2)
    xy = viz.tsne_2d(x, seed=0)
    assert xy.shape == (30, 2) and np.isfinite(xy).all()
    fig = viz.plot_embedding_maps({"a": xy}, labels, ["x", "y", "z"], "t")
    assert len(fig.axes) == 1


@pytest.mark.slow
def test_run_synthetic_seed_smoke():
    small = {k: v for k, v in SMALL.items() if k != "size"}
    cfg = SyntheticBenchmarkConfig(
        **small, frame_size=SMALL["size"], mae_steps=3, temporal_steps=3, probe_steps=0,
        probe_epochs=2, attentive_steps=0, attentive_epochs=2, knn_k=5, knn_ks=(5,),
    )  # fmt: skip
    df, emb = runner.run_synthetic_seed(cfg, seed=0)
    assert set(df["encoder"]) == set(ALL_ENCODERS)
    assert set(df["protocol"]) == {
        "linear", "attentive", "knn_uniform", "knn_clip", "knn_video", "pretext"
    }  # fmt: skip
    top1 = df[df["metric"] == "top1"]["value"]
    assert top1.between(0, 100).all()
    assert emb["image"]["val"]["clips"].shape[:2] == (8, 2)


def test_config_rejects_unknown_encoder():
    with pytest.raises(ValueError, match="'pixels'"):
        SyntheticBenchmarkConfig(encoders=("pixels",))
