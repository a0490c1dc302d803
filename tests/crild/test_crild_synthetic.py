"""Synthetic task generators: determinism, label rules, noise and subsets."""

import numpy as np
import pytest

from repro.crild.synthetic import (
    TASK_NAMES,
    flip_labels,
    make_all_tasks,
    make_task,
    sentiment_example,
    subsample,
)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_same_seed_same_data(task):
    a, b = make_task(task, 50, 20, seed=3), make_task(task, 50, 20, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    c = make_task(task, 50, 20, seed=4)
    assert not np.array_equal(a["train_text_a"], c["train_text_a"])


def test_sentiment_negation_rule():
    rng = np.random.default_rng(0)
    for _ in range(300):
        text, _, label = sentiment_example(rng)
        last = text.split(" but ")[-1].split(" , ")[-1].split()
        positive = last[-1] in {
            "good",
            "great",
            "fine",
            "nice",
            "lovely",
            "brilliant",
            "pleasant",
            "charming",
            "superb",
        }
        negated = any(w in last for w in ("not", "never", "hardly"))
        assert label == int(positive != negated), text


def test_labels_balanced_and_ranges():
    d = make_all_tasks(n_train=400, n_dev=10, seed=0)
    for task in ("syn-sentiment", "syn-paraphrase"):
        assert 0.4 < d[f"{task}/train_label"].mean() < 0.6
    s = d["syn-similarity/train_label"]
    assert s.dtype == np.float32 and s.min() >= 0 and s.max() <= 5


def test_flip_labels_rate_and_always_different():
    y = np.zeros(5000, dtype=np.int64)
    z = flip_labels(y, 0.3, 2, seed=0)
    assert 0.28 < (z != y).mean() < 0.32
    y3 = np.arange(3000) % 3
    z3 = flip_labels(y3, 1.0, 3, seed=0)
    assert np.all(z3 != y3)


def test_noise_only_on_train_and_not_regression():
    clean = make_task("syn-sentiment", 200, 50, seed=1)
    noisy = make_task("syn-sentiment", 200, 50, label_noise=0.3, seed=1)
    assert np.array_equal(clean["dev_label"], noisy["dev_label"])
    assert (clean["train_label"] != noisy["train_label"]).mean() > 0.15
    reg = make_task("syn-similarity", 50, 5, label_noise=0.3, seed=1)
    assert np.array_equal(
        reg["train_label"], make_task("syn-similarity", 50, 5, seed=1)["train_label"]
    )


def test_subsample():
    idx = subsample(100, 10, seed=0)
    assert len(idx) == 10 and len(set(idx)) == 10 and np.all(np.diff(idx) > 0)
    assert len(subsample(5, 10, seed=0)) == 5
