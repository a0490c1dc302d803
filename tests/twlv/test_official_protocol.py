"""``--protocol official`` equals the release's scripts on a release-format folder.

How the expected numbers were obtained (by hand, outside the repository): the folder of
:func:`_write_folder` (``ManifoldSpec`` below, seed 11; 1,100 training videos, so the kNN
memory bank leaves out 1100 mod 1024 = 76 of them; 200 validation videos; 48 classes;
D = 64; 1-3 clips per video) was written to ``/tmp/o11/t``. The release's
``knn/main.py`` and ``linear_probing/main.py`` (twelvelabs-io/video-embeddings-evaluation-
framework, HEAD 4efffd3), copied unmodified to ``/tmp/o11/official/``, were run on it with
``--dataset_name Diving48 --cuda false`` (CPU, torch 2.13, ``OMP_NUM_THREADS=1``) through a
wrapper that only replaces ``os.listdir`` by :func:`_listdir` below, so that the file order
(which on ext4 depends on the file system's hash seed) is the same unsorted order here and
there. The scripts printed (last "Accuracy" line of each log):

* ``knn/main.py``: 69.5000; with ``--train_embed_type clip --val_embed_type clip``: 67.5000
* ``linear_probing/main.py --epochs 12``: 3.0 (one step per epoch: batch 1024 drop_last)
* ``... --epochs 40 --train_batch_size 100``: 73.5; ``--embed_type clip``: 73.0;
  ``--embed_type clip --num_workers 0``: 73.5
"""

import dataclasses
import hashlib
import json
import os

import pytest
import torch

from repro.twlv import evaluate, release_files
from repro.twlv.official import RELEASE, draw_epoch_permutation, resolve_num_classes
from repro.twlv.official_knn import official_bank_videos
from repro.twlv.official_linear import ReleaseAdam, official_linear, release_lr
from repro.twlv.release_synth import ManifoldSpec, write_release_folder

SPEC = ManifoldSpec(
    n_train=1100, n_val=200, dim=64, num_classes=48, latent_dim=16, separation=2.0,
    noise=2.5, noise_decay=0.3, clip_noise=0.5, clips=(1, 3),
)  # fmt: skip
_REAL_LISTDIR = os.listdir


def _listdir(path="."):
    """The unsorted order both sides saw: by md5 of the file name."""
    return sorted(_REAL_LISTDIR(path), key=lambda f: hashlib.md5(f.encode()).hexdigest())


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_release_folder(tmp_path_factory.mktemp("official") / "t", SPEC, seed=11)


@pytest.fixture
def md5_order(monkeypatch):
    monkeypatch.setattr(os, "listdir", _listdir)


@pytest.fixture(scope="module")
def splits(folder):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "listdir", _listdir)
        return release_files.read_release(folder, order="listdir")


def test_cli_json_equals_the_release_scripts(folder, md5_order):
    text = evaluate.run_official_command(
        str(folder), as_json=True, dataset_name="Diving48", epochs=12
    )
    out = json.loads(text)["official"]
    assert out["num_classes"] == 48 and out["classes_from"] == "--dataset-name Diving48"
    assert out["knn"]["video"]["top1"] == 69.5
    assert out["knn"]["clip"]["top1"] == pytest.approx(67.5)
    assert out["knn"]["video"]["left_out"] == 76 and out["knn"]["video"]["bank_videos"] == 1024
    assert out["linear"]["top1"] == 3.0 and out["linear"]["steps"] == 12


@pytest.mark.parametrize(
    ("embed_type", "workers", "expected"),
    [("video", 4, 73.5), ("clip", 4, 73.0), ("clip", 0, 73.5)],
)
def test_linear_probe_with_several_batches_per_epoch(splits, embed_type, workers, expected):
    # batch 100: 11 steps per epoch, so clips are picked by all four workers in turn
    protocol = dataclasses.replace(RELEASE.with_epochs(40), linear_batch=100, num_workers=workers)
    res = official_linear(splits["train"], splits["val"], 48, embed_type, protocol)
    assert res["top1"] == pytest.approx(expected)


def test_file_order_matters_and_sorted_is_the_default(folder, md5_order):
    ids = release_files.list_ids(folder / "train", order="listdir")
    assert ids != sorted(ids)
    assert release_files.list_ids(folder / "train") == sorted(ids)


def test_bank_leaves_out_n_mod_1024_videos():
    kept = official_bank_videos(2100, RELEASE)
    assert kept.numel() == 2048 and len(set(kept.tolist())) == 2048


def test_draws_follow_the_dataloader():
    import torch
    from torch.utils.data import DataLoader

    torch.manual_seed(5)
    order = [int(i) for batch in DataLoader(list(range(10)), batch_size=3, shuffle=True,
                                            drop_last=True) for i in batch]  # fmt: skip
    after = torch.rand(1)
    torch.manual_seed(5)
    _, perm = draw_epoch_permutation(10)
    assert order == perm[:9].tolist() and torch.equal(after, torch.rand(1))


def test_release_schedule():
    assert release_lr(0, 1e-3, 10, 100) == pytest.approx(1e-4)
    assert release_lr(9, 1e-3, 10, 100) == pytest.approx(1e-3)
    assert release_lr(10, 1e-3, 10, 100) == pytest.approx(1e-3)
    assert release_lr(55, 1e-3, 10, 100) == pytest.approx(5e-4)


def test_release_adam_is_torch_adam_bit_for_bit():
    torch.manual_seed(0)
    x, y = torch.randn(64, 16), torch.randint(0, 5, (64,))
    ours, theirs = torch.nn.Linear(16, 5), torch.nn.Linear(16, 5)
    theirs.load_state_dict(ours.state_dict())
    mine = ReleaseAdam(list(ours.parameters()))
    reference = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    for step in range(40):
        lr = release_lr(step, 1e-3, 10, 40)
        for group in reference.param_groups:
            group["lr"] = lr
        torch.nn.functional.cross_entropy(ours(x), y).backward()
        mine.step(lr)
        reference.zero_grad()
        torch.nn.functional.cross_entropy(theirs(x), y).backward()
        reference.step()
        for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert torch.equal(a, b), step


def test_class_count_sources():
    assert resolve_num_classes(None, "Kinetics400", 3) == (400, "--dataset-name Kinetics400")
    assert resolve_num_classes(7, None, 3) == (7, "--num-classes")
    assert resolve_num_classes(None, None, 3) == (4, "max label + 1")
    with pytest.raises(ValueError, match="not both"):
        resolve_num_classes(7, "Diving48", 3)


def test_errors_name_the_file(folder, tmp_path):
    with pytest.raises(
        release_files.EmbeddingFormatError, match=r"t/(train|val)/\w+\.json: label \d+ out of range"
    ):
        evaluate.run_official_command(str(folder), num_classes=10, epochs=1)
    small = write_release_folder(
        tmp_path / "small", dataclasses.replace(SPEC, n_train=100, n_val=50), seed=1
    )
    with pytest.raises(release_files.EmbeddingFormatError, match=r"train: 100 videos, fewer"):
        evaluate.run_official_command(str(small), num_classes=48, epochs=1)


def test_parser_routes_official(tmp_path):
    import argparse

    from repro.core.errors import InputError
    from repro.twlv import cli

    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["twlv", "evaluate", "emb", "--protocol", "official", "--dataset-name", "Diving48"]
    )
    assert (args.protocol, args.dataset_name, args.variant) == ("official", "Diving48", None)
    args = parser.parse_args(["twlv", "evaluate", "emb", "--dataset-name", "Diving48"])
    with pytest.raises(InputError, match="--protocol official only"):
        cli.handle_evaluate(args)
