"""Paper-tier loading path: released-embedding folders written by the test, tiny sizes."""

import numpy as np
import pytest

from repro.core.reported import load_reported
from repro.twlv import io, tables
from repro.twlv.config import SyntheticBenchmarkConfig
from repro.twlv.release import release_vs_reported, run_release


def _write_release(root, folder, num_classes, dim=6, n=40, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(num_classes, dim)) * 4
    for variant in io.VARIANTS:
        for split, count in (("train", n), ("val", n // 2)):
            y = rng.integers(0, num_classes, count)
            n_clips = 1 if variant == "uniform" else 2
            clips = [(means[c] + rng.normal(size=(n_clips, dim))).astype(np.float32) for c in y]
            io.write_release_split(io.make_split(y, clips), root / folder / variant / split)


def _cfg(datasets, epochs=1, knn_k=200):
    return SyntheticBenchmarkConfig(
        data_source="release", seeds=(0,), release_datasets=tuple(datasets),
        release_lr_multipliers=(1.0,), release_epochs=epochs, knn_k=knn_k,
    )  # fmt: skip


@pytest.fixture(scope="module")
def release_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data") / "twlv_i"
    _write_release(root, "Kinetics400", 400)
    _write_release(root, "sthsth-v2", 174, seed=1)
    return root


def test_run_release_rebuilds_tables_3_and_6(release_root):
    results = run_release(release_root, _cfg(["K400", "SSv2"], epochs=2, knn_k=5))
    assert set(results["task"]) == {"K400", "SSv2"}
    assert set(results["protocol"]) == {"linear", "knn_uniform", "knn_clip", "knn_video"}
    top1 = results[results["metric"] == "top1"]["value"]
    assert top1.between(0, 100).all()
    summary = tables.summarise(
        results, ["linear", "knn_uniform", "knn_clip", "knn_video"], ["top1", "top5"]
    )
    reported = load_reported("twlv_i.csv")
    table = release_vs_reported(summary, reported)
    row = table[(table["dataset"] == "K400") & (table["protocol"] == "knn_video")]
    assert row["reported"].item() == 69.88
    assert list(table.columns) == ["dataset", "protocol", "metric", "reported", "reproduced"]
    lp = table[(table["dataset"] == "SSv2") & (table["protocol"] == "linear_probe")]
    assert set(lp["metric"]) == {"top1", "top5"} and lp["reported"].notna().all()


def test_run_release_reports_missing_dataset(release_root):
    with pytest.raises(io.EmbeddingFormatError, match=r"Diving48/uniform/train: split folder"):
        run_release(release_root, _cfg(["DV48"]))


def test_release_label_out_of_range(tmp_path):
    _write_release(tmp_path, "Diving48", 60)  # labels up to 59, but DV48 has 48 classes
    with pytest.raises(io.EmbeddingFormatError, match=r"label \d+ out of range.*< 48"):
        run_release(tmp_path, _cfg(["DV48"]))
