"""Synthetic untrimmed streams: segment tiling, log-normal lengths, background, rendering."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from repro.twlv import streams as st


def test_classes_of_each_kind() -> None:
    assert st.classes_of_kind("background") == (0,)
    assert len(st.classes_of_kind("appearance")) == 3
    assert len(st.classes_of_kind("motion")) == 4
    assert len(st.classes_of_kind("both")) == 2
    assert st.N_CLASSES == 10 and st.CLASS_NAMES[0] == st.BACKGROUND
    with pytest.raises(ValueError, match="kind"):
        st.classes_of_kind("colour")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_segments_tile_the_stream(seed: int) -> None:
    rng = np.random.default_rng(seed)
    segments = st.sample_segments(200, st.DurationModel(), rng)
    assert segments[0][1] == 0 and segments[-1][2] == 200
    for (lab_a, _, end_a), (lab_b, start_b, _) in itertools.pairwise(segments):
        assert end_a == start_b  # contiguous
        assert lab_a != lab_b  # neighbours differ, so every segment is one run of labels
    # Every segment but the (possibly cut) last one is at least the minimum length.
    assert all(e - s >= 2 for _, s, e in segments[:-1])
    labels = st.labels_from_segments(segments, 200)
    runs = 1 + int(np.sum(labels[1:] != labels[:-1]))
    assert runs == len(segments)


def test_lengths_are_log_normal_with_the_set_median() -> None:
    rng = np.random.default_rng(0)
    model = st.DurationModel(action_median=8.0, action_sigma=0.5, minimum=1)
    lengths = np.array([model.draw(rng, background=False) for _ in range(4000)])
    # Rounding to whole windows moves the median by at most half a window.
    assert abs(np.median(lengths) - 8.0) <= 0.5
    assert abs(np.std(np.log(lengths)) - 0.5) < 0.05
    assert np.mean(lengths) > np.median(lengths)  # right-skewed, like real action lengths


def test_background_probability() -> None:
    rng = np.random.default_rng(0)
    never = st.sample_segments(300, st.DurationModel(background_prob=0.0), rng)
    assert all(lab != 0 for lab, _, _ in never)
    always = st.sample_segments(300, st.DurationModel(background_prob=1.0), rng)
    assert [lab == 0 for lab, _, _ in always[:6]] == [True, False] * 3


def test_generate_streams_shapes_and_determinism() -> None:
    def make(seed: int) -> dict:
        rng = np.random.default_rng(seed)
        return st.generate_streams(2, 6, 4, 16, st.DurationModel(action_median=3.0), rng)

    a, b = make(3), make(3)
    assert a["frames"].shape == (2, 24, 16, 16, 3) and a["frames"].dtype == np.uint8
    assert a["labels"].shape == (2, 6)
    assert np.array_equal(a["frames"], b["frames"]) and a["segments"] == b["segments"]
    for labels, segments in zip(a["labels"], a["segments"], strict=True):
        assert np.array_equal(labels, st.labels_from_segments(segments, 6))
    assert st.windows(a["frames"], 4).shape == (12, 4, 16, 16, 3)


def test_background_windows_hold_no_sprite_and_actions_do() -> None:
    rng = np.random.default_rng(0)
    segments = [(0, 0, 2), (st.CLASS_NAMES.index("moving up"), 2, 4)]
    frames = st.render_stream(segments, 4, 4, 16, rng).astype(float)
    # Background: one static texture plus pixel noise (std 6), so frames barely differ.
    still = np.abs(np.diff(frames[:8], axis=0)).mean()
    moving = np.abs(np.diff(frames[8:], axis=0)).mean()
    assert still < 10 < moving


def test_segments_table_leaves_background_out() -> None:
    table = st.segments_table([[(0, 0, 3), (1, 3, 5)], [(4, 0, 2)]])
    assert list(table["label"]) == ["red disk", "moving up"]
    assert list(table["video_id"]) == ["stream000", "stream001"]
    assert list(table["t_start"]) == [3.0, 0.0] and list(table["t_end"]) == [5.0, 2.0]
    assert len(st.segments_table([[(0, 0, 3), (1, 3, 5)]], background=True)) == 2
