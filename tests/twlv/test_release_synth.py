"""The benchmark generator: its knobs do what they say, and older specs keep their data."""

import dataclasses

import numpy as np

from repro.twlv.release_synth import CALIBRATED, ManifoldGenerator, ManifoldSpec

SMALL = ManifoldSpec(n_train=40, n_val=20, dim=16, num_classes=4, latent_dim=3, modes=2)


def test_mode_spread_zero_merges_a_class_into_one_blob():
    means = ManifoldGenerator(dataclasses.replace(SMALL, mode_spread=0.0)).means
    per_class = means.reshape(4, 2, 16)
    np.testing.assert_array_equal(per_class[:, 0], per_class[:, 1])


def test_mode_spread_one_is_the_independent_draw():
    default = ManifoldGenerator(SMALL, seed=3).splits()["train"].video
    spread_one = ManifoldGenerator(dataclasses.replace(SMALL, mode_spread=1.0), seed=3)
    np.testing.assert_array_equal(default, spread_one.splits()["train"].video)


def test_spread_moves_modes_apart_monotonically():
    def gap(spread: float) -> float:
        spec = dataclasses.replace(SMALL, mode_spread=spread)
        m = ManifoldGenerator(spec).means.reshape(4, 2, 16)
        # relative to the means' overall scale, which the generator normalises
        return float(
            np.linalg.norm(m[:, 0] - m[:, 1], axis=1).mean() / np.linalg.norm(m, axis=2).mean()
        )

    assert gap(0.2) < gap(0.5) < gap(1.0)


def test_calibrated_is_k400_shaped():
    assert (CALIBRATED.n_train, CALIBRATED.n_val, CALIBRATED.dim) == (40_000, 4_000, 1024)
    assert CALIBRATED.num_classes == 400 and CALIBRATED.modes == 2
