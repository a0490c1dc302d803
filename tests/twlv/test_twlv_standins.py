"""Stand-ins for the released embeddings: exact release format, readable by the paper path."""

import tarfile

import numpy as np
import pytest

from repro.core.manifests import load_all
from repro.twlv import io
from repro.twlv.config import RELEASE_DATASETS, SyntheticBenchmarkConfig
from repro.twlv.release import run_release
from repro.twlv.standins import ENTRY_DATASETS, write_standins

PAPER_ENTRIES = sorted(ENTRY_DATASETS)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    return root, write_standins(root, PAPER_ENTRIES, seed=0)


def test_every_manifest_path_is_written(written):
    root, paths = written
    entries = load_all()
    for name in PAPER_ENTRIES:
        for spec in entries[name].files:
            assert (root / spec.path) in paths and (root / spec.path).is_file()


def test_folders_read_back_with_the_real_class_bounds(written):
    root, _ = written
    for folder, classes in RELEASE_DATASETS.values():
        for variant in io.VARIANTS:
            splits = io.read_release(root / "twlv_i" / folder, variant, num_classes=classes)
            train = splits["train"]
            assert train.dim == 16 and set(train.labels) == set(range(6))
            assert (train.num_frames >= 1).all() and np.isfinite(train.duration).all()
            n_clips = np.diff(train.clip_offsets)
            assert (n_clips == 1).all() if variant == "uniform" else (n_clips >= 2).all()


def test_tar_holds_the_extracted_tree(written):
    root, _ = written
    tar_path = root / "twlv_i" / "Diving48.tar"
    with tarfile.open(tar_path) as tar:
        names = tar.getnames()
    on_disk = sorted(
        p.relative_to(root / "twlv_i").as_posix()
        for p in (root / "twlv_i" / "Diving48").rglob("*")
        if p.is_file()
    )
    assert names == on_disk and names[0].startswith("Diving48/")


def test_same_seed_same_bytes(tmp_path, written):
    root, _ = written
    write_standins(tmp_path, ["twlv_i_embeddings_diving48"], seed=0)
    assert (tmp_path / "twlv_i/Diving48.tar").read_bytes() == (
        root / "twlv_i/Diving48.tar"
    ).read_bytes()


def test_synthetic_entries_are_skipped_and_unknown_refused(tmp_path):
    assert write_standins(tmp_path, ["twlv_i_synthetic_videos_smoke"]) == []
    with pytest.raises(ValueError, match="nash_glue"):
        write_standins(tmp_path, ["nash_glue"])


def test_paper_path_runs_on_the_standins(written):
    root, _ = written
    cfg = SyntheticBenchmarkConfig(
        data_source="release", seeds=(0,), release_lr_multipliers=(1.0,), release_epochs=1
    )
    results = run_release(root / "twlv_i", cfg)
    assert set(results["task"]) == set(RELEASE_DATASETS)
    assert results[results["metric"] == "top1"]["value"].between(0, 100).all()
