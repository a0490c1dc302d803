"""The TWLV-I notebooks run end to end with tiny parameters (slow: each starts a kernel)."""

import os

import numpy as np
import pytest

from repro.core.paths import repo_root
from repro.twlv import io

TINY = {
    "seeds": [0],
    "n_train": 48,
    "n_val": 16,
    "frames_per_clip": 4,
    "frame_size": 16,
    "mae_steps": 3,
}


def _execute(name, parameters, tmp_path, env):
    papermill = pytest.importorskip("papermill")
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        papermill.execute_notebook(
            str(repo_root() / "notebooks" / "twlv_i" / f"{name}.ipynb"),
            str(tmp_path / f"{name}.ipynb"),
            parameters=parameters,
            cwd=str(repo_root()),
            kernel_name="python3",
            progress_bar=False,
        )
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.slow
def test_benchmark_notebook_at_paper_tier_on_release_files(tmp_path):
    rng = np.random.default_rng(0)
    for folder, classes in (("Kinetics400", 400), ("sthsth-v2", 174)):
        for variant in io.VARIANTS:
            for split, n in (("train", 30), ("val", 10)):
                y = rng.integers(0, classes, n)
                clips = [rng.normal(size=(1 if variant == "uniform" else 2, 8)) for _ in y]
                split_dir = tmp_path / "data" / "twlv_i" / folder / variant / split
                io.write_release_split(io.make_split(y, clips), split_dir)
    params = {
        "data_source": "release",
        "seeds": [0],
        "release_datasets": ["K400", "SSv2"],
        "release_epochs": 1,
        "knn_k": 5,
    }
    env = {
        "REPRO_DATA_DIR": str(tmp_path / "data"),
        "REPRO_ARTIFACT_DIR": str(tmp_path / "artifacts"),
    }
    _execute("synthetic_benchmark", params, tmp_path, env)
    assert (tmp_path / "artifacts" / "tables3_6_vs_paper.csv").is_file()


@pytest.mark.slow
def test_geometry_notebook_smoke(tmp_path):
    env = {"REPRO_ARTIFACT_DIR": str(tmp_path / "artifacts")}
    _execute("embedding_geometry", {**TINY, "max_points": 16}, tmp_path, env)
    assert (tmp_path / "artifacts" / "fig8_9_reversal_accuracy.csv").is_file()
