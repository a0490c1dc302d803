"""Task data for the notebooks: synthetic (offline tier) or GLUE from ``data_root()`` (paper tier).

Both return the split dict of :mod:`repro.crild.synthetic`:
``{train,dev}_{text_a,text_b,label}`` numpy arrays (``text_b`` empty strings for
single-sentence tasks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repro.crild.glue import load_task, task_spec
from repro.crild.synthetic import TASK_NAMES, flip_labels, make_task, subsample


def glue_splits(glue_dir: Path, task: str) -> dict[str, np.ndarray]:
    """A GLUE task as the split dict (reads ``train.tsv`` and the dev file)."""
    train, dev = load_task(glue_dir, task)
    out = {}
    for name, split in (("train", train), ("dev", dev)):
        out[f"{name}_text_a"] = np.array(split.text_a, dtype=str)
        out[f"{name}_text_b"] = np.array(
            split.text_b if split.text_b else [""] * len(split), dtype=str
        )
        out[f"{name}_label"] = split.labels
    return out


def apply_setting(
    splits: dict[str, np.ndarray],
    task: str,
    n_train: int = 0,
    label_noise: float = 0.0,
    subset_seed: int = 0,
    noise_seed: int = 0,
) -> dict[str, np.ndarray]:
    """Few-sample subset (``n_train > 0``) and/or symmetric label noise on the training split.

    Regression tasks get no noise, as in the release's ``glue_lnl``.
    """
    out = dict(splits)
    if n_train:
        idx = subsample(len(out["train_label"]), n_train, subset_seed)
        for k in ("train_text_a", "train_text_b", "train_label"):
            out[k] = out[k][idx]
    if label_noise > 0 and out["train_label"].dtype.kind == "i":
        classes = 3 if task.startswith("mnli") else 2
        out["train_label"] = flip_labels(out["train_label"], label_noise, classes, noise_seed)
    return out


def load_splits(
    data_source: str,
    task: str,
    n_train: int,
    n_dev: int,
    seed: int = 0,
    glue_dir: Path | None = None,
) -> dict[str, np.ndarray]:
    """Split dict for one task.

    Args:
        data_source: ``"synthetic"`` or ``"glue"``.
        task: a synthetic task name or a GLUE task name.
        n_train, n_dev: sizes (for GLUE: first ``n_dev`` dev rows and a seeded subset of
            ``n_train`` training rows; 0 = all).
        seed: generation / subset seed.
        glue_dir: GLUE root (default ``data_root()/cr_ild/glue``).
    """
    if data_source == "synthetic":
        if task not in TASK_NAMES:
            raise KeyError(f"data_source='synthetic': task {task!r}; expected one of {TASK_NAMES}")
        return make_task(task, n_train, n_dev, seed=seed + TASK_NAMES.index(task))
    if data_source != "glue":
        raise ValueError(f"data_source={data_source!r}; expected 'synthetic' or 'glue'")
    if glue_dir is None:
        from repro.core.paths import data_root

        glue_dir = data_root() / "cr_ild" / "glue"
    out = apply_setting(glue_splits(glue_dir, task_spec(task).name), task, n_train, 0.0, seed)
    if n_dev:
        for k in ("dev_text_a", "dev_text_b", "dev_label"):
            out[k] = out[k][:n_dev]
    return out


def metric_task(data_source: str, task: str) -> str:
    """Key of :data:`repro.crild.metrics.METRIC_KIND` for a task name."""
    return task if data_source == "synthetic" else task_spec(task).name


def setting_splits(
    splits: dict[str, np.ndarray],
    task: str,
    setting: str,
    n_few: int,
    label_noise: float,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The split dict of one of the release's settings.

    Args:
        setting: ``"standard"`` (unchanged), ``"few-sample"`` (a seeded subset of ``n_few``
            training rows, ``glue_1k``) or ``"label-noise"`` (``label_noise`` symmetric noise
            with a fixed seed, ``glue_lnl``).
    """
    if setting == "standard":
        return splits
    if setting == "few-sample":
        return apply_setting(splits, task, n_train=n_few, subset_seed=seed)
    if setting == "label-noise":
        return apply_setting(splits, task, label_noise=label_noise)
    raise ValueError(f"setting={setting!r}; expected standard, few-sample or label-noise")
