"""Task loading for the notebooks (synthetic and GLUE) and the CR-ILD data manifest."""

from pathlib import Path

import numpy as np
import pytest

from repro.core.manifests import load_manifest, verify_synthetic
from repro.crild.data import apply_setting, load_splits, metric_task

MANIFEST = Path(__file__).resolve().parents[2] / "data_manifests" / "cr_ild.yaml"


def test_manifest_parses_and_synthetic_digest_matches():
    entries = {e.name: e for e in load_manifest(MANIFEST)}
    assert {"glue_rte", "glue_mnli", "crild_bert_base_uncased"} <= set(entries)
    assert verify_synthetic(entries["crild_synthetic_tasks"])
    mnli = [f.path for f in entries["glue_mnli"].files]
    assert "cr_ild/glue/MNLI/dev_mismatched.tsv" in mnli


def test_synthetic_splits_and_settings():
    base = load_splits("synthetic", "syn-sentiment", 40, 10, seed=0)
    few = apply_setting(base, "syn-sentiment", n_train=8, subset_seed=0)
    assert len(few["train_label"]) == 8 and len(few["dev_label"]) == 10
    assert set(few["train_text_a"]) <= set(base["train_text_a"])
    noisy = apply_setting(base, "syn-sentiment", label_noise=1.0)
    assert np.all(noisy["train_label"] != base["train_label"])
    assert np.array_equal(noisy["dev_label"], base["dev_label"])
    reg = load_splits("synthetic", "syn-similarity", 20, 5)
    assert np.array_equal(
        apply_setting(reg, "syn-similarity", label_noise=0.5)["train_label"], reg["train_label"]
    )


def test_bad_source_and_task():
    with pytest.raises(ValueError, match="data_source='web'"):
        load_splits("web", "rte", 1, 1)
    with pytest.raises(KeyError, match="task 'rte'"):
        load_splits("synthetic", "rte", 1, 1)


def test_glue_splits_from_files(tmp_path):
    rte = tmp_path / "RTE"
    rte.mkdir()
    rows = ["index\tsentence1\tsentence2\tlabel"] + [
        f"{i}\tp{i}\th{i}\t{'entailment' if i % 2 else 'not_entailment'}" for i in range(6)
    ]
    for f in ("train.tsv", "dev.tsv"):
        (rte / f).write_text("\n".join(rows) + "\n")
    s = load_splits("glue", "RTE", 4, 3, seed=0, glue_dir=tmp_path)
    assert len(s["train_label"]) == 4 and len(s["dev_label"]) == 3
    assert s["dev_text_b"][0] == "h0"
    assert metric_task("glue", "RTE") == "rte"
