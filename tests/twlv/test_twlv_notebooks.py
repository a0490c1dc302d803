"""The TWLV-I notebooks run end to end with tiny parameters (slow: each starts a kernel)."""

import json
import os

import nbformat
import pandas as pd
import pytest

from repro.core.paths import repo_root
from repro.twlv.standins import ENTRY_DATASETS, write_standins

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
    return nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)


def _plain_outputs(nb) -> list[str]:
    """Outputs shown as bare text (reprs, paths, prints): a report page has none."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream" and out["name"] == "stdout":
                found.append(out["text"])
            data = out.get("data", {})
            if out["output_type"] in ("execute_result", "display_data") and set(data) == {
                "text/plain"
            }:
                found.append(data["text/plain"])
    return found


@pytest.mark.slow
def test_benchmark_notebook_rehearsal_on_standins(tmp_path):
    write_standins(tmp_path / "data", sorted(ENTRY_DATASETS)[:2])  # DV48 and K400
    params = {
        "data_source": "release",
        "seeds": [0],
        "release_datasets": ["K400", "DV48"],
        "release_lr_multipliers": [1.0],
        "release_epochs": 1,
        "knn_k": 5,
    }
    env = {
        "REPRO_DATA_DIR": str(tmp_path / "data"),
        "REPRO_ARTIFACT_DIR": str(tmp_path / "artifacts"),
        "REPRO_PROFILE": "rehearsal",
    }
    nb = _execute("synthetic_benchmark", params, tmp_path, env)
    assert _plain_outputs(nb) == []
    meta = json.loads((tmp_path / "artifacts" / "tables3_6_vs_paper.json").read_text())
    assert meta["tier"] == "rehearsal" and "offline probe" in meta["caption"]
    verdicts = pd.read_csv(tmp_path / "artifacts" / "verdicts.csv")
    assert set(verdicts["key"]) == {"release_clip", "release_motion_modes"}


@pytest.mark.slow
def test_geometry_notebook_smoke(tmp_path):
    env = {"REPRO_ARTIFACT_DIR": str(tmp_path / "artifacts")}
    nb = _execute("embedding_geometry", {**TINY, "max_points": 16}, tmp_path, env)
    assert _plain_outputs(nb) == []
    assert (tmp_path / "artifacts" / "fig8_9_reversal_accuracy.csv").is_file()
    verdicts = pd.read_csv(tmp_path / "artifacts" / "verdicts.csv")
    assert (verdicts["verdict"] == "inconclusive").all()  # one seed decides nothing
