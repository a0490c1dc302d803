"""Device placement: everything a run hands between modules is on the model's device.

CPU-only machines cannot run on a second real device, so the cross-device checks run the
forward passes and losses on PyTorch's ``meta`` device: any tensor created on the CPU and
mixed into a meta computation (a forgotten ``device=``, an index or a cached teacher output
left behind) raises, exactly as a CPU tensor would on CUDA.
"""

import copy
from pathlib import Path

import pytest
import torch

from repro.core.config import build_config
from repro.crild.config import MainTableConfig
from repro.crild.ild_gap import clean_distance
from repro.crild.methods import METHODS, get_method, ild_objective, make_loss_fn
from repro.crild.models import EncoderOutput
from repro.crild.runner import make_student, run_method
from repro.crild.standins import write_tiny_bert
from repro.crild.synthetic import make_task
from repro.crild.teacher_cache import prepare_task, resolve_device
from repro.crild.train import Encoded, slice_outputs

META = torch.device("meta")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bert")
    write_tiny_bert(folder, seed=0, num_layers=4)
    cfg = build_config(
        MainTableConfig,
        dict(
            teacher_path=str(folder), student_layers=2, max_seq_len=16, teacher_epochs=1,
            ild_epochs=2, kd_epochs=1, eval_every=2, ild_batch=8, kd_batch=8, teacher_batch=8,
            pooling="cls", device="cpu",
        ),
    )  # fmt: skip
    data = make_task("syn-sentiment", 16, 8, seed=0)
    cache = tmp_path_factory.mktemp("cache")
    return prepare_task("syn-sentiment", data, cfg, cache_dir=cache), cfg


def _all_tensors(out: EncoderOutput) -> list[torch.Tensor]:
    return [out.logits, *out.hidden, *out.queries, *out.keys, *out.values, *out.scores]


def test_auto_device_is_cuda_only_when_present():
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == want
    assert resolve_device("cpu").type == "cpu"


def test_bundle_lives_on_the_configured_device(bundle):
    b, cfg = bundle
    dev = resolve_device(cfg.device)
    assert b.device == dev
    assert all(x.device == dev for x in (b.train.ids, b.dev.mask, b.train.labels))
    assert all(p.device == dev for p in b.teacher.parameters())
    assert all(t.device == dev for t in _all_tensors(b.teacher_train))
    student = make_student(b, cfg, 0)
    assert all(p.device == dev for p in student.parameters())


def test_cached_outputs_and_splits_move_with_to(bundle):
    b, _ = bundle
    moved = b.teacher_train.to(META)
    assert all(t.device == META for t in _all_tensors(moved))
    enc = b.train.to(META)
    assert all(x.device == META for x in (enc.ids, enc.mask, enc.types, enc.labels))
    # CPU batch indices (from CPU generators) are moved to the data's device when slicing.
    idx = torch.arange(4)
    assert enc.take(idx).ids.device == META
    assert all(t.device == META for t in _all_tensors(slice_outputs(moved, idx)))


@pytest.mark.parametrize("name", [m for m in METHODS if m not in ("KD", "EMD")])
@pytest.mark.parametrize("cached", [True, False])
def test_stage1_losses_stay_on_the_model_device(bundle, name, cached):
    """Stage-1 loss (mixup and consistency included) of every method, on a second device.

    EMD is left out: its transport plan is solved on the CPU with numpy by design
    (``repro.crild.mapping.emd_flow`` detaches the costs), which meta tensors cannot feed.
    """
    b, cfg = bundle
    method = get_method(name)
    student = make_student(b, cfg, 0).to(META)
    teacher = copy.deepcopy(b.teacher).to(META)
    cache = b.teacher_train.to(META) if cached else None
    sup = (b.train.to(META), cache)  # L-ILD-other's corpus: any inputs on the same device
    fn = make_loss_fn(method, teacher, cache, num_epochs=2, w_ic=0.1, supplementary=sup)
    idx = torch.arange(8)  # CPU, as the batch sampler makes them
    batch = b.train.to(META).take(idx)
    loss = fn(student, idx, batch, 1, torch.Generator().manual_seed(0))  # epoch 1: IC on
    assert loss.device == META and loss.requires_grad
    s = student(batch.ids, batch.mask, batch.types)
    t = teacher(batch.ids, batch.mask, batch.types)
    heads = teacher.bert.shape.num_heads
    assert ild_objective(method, s, t, batch.mask, heads).device == META
    assert clean_distance(method, s, t, batch.mask, heads).device == META


def test_tracked_run_on_the_configured_device(bundle):
    """A tracked CR-ILD run end to end on the configured device; step 0 is logged."""
    b, cfg = bundle
    r = run_method(b, "CR-ILD", cfg, 0, track_ild=True)
    assert len(r.clean_train) == cfg.ild_epochs + 1  # step 0 plus one per epoch
    assert r.kd.evals


def test_teacher_cache_loads_onto_the_device(bundle, tmp_path, monkeypatch):
    """A cached teacher saved from any device is mapped to the CPU, then moved with .to()."""
    import repro.crild.teacher_cache as tc

    _, cfg = bundle
    seen = []
    real = torch.load

    def spy(*a, **k):
        seen.append(k.get("map_location"))
        return real(*a, **k)

    monkeypatch.setattr(tc.torch, "load", spy)
    cache = Path(tmp_path)
    data = make_task("syn-sentiment", 16, 8, seed=0)
    tc.prepare_task("syn-sentiment", data, cfg, cache_dir=cache)  # trains and saves
    again = tc.prepare_task("syn-sentiment", data, cfg, cache_dir=cache)  # loads
    assert seen == ["cpu"]
    assert all(p.device == resolve_device(cfg.device) for p in again.teacher.parameters())
    saved = real(next(cache.glob("teacher_*.pt")), map_location="cpu", weights_only=True)
    assert all(v.device.type == "cpu" for v in saved["state"].values())


def test_encoded_to_keeps_values():
    enc = Encoded(
        torch.tensor([[2, 5, 3]]), torch.ones(1, 3, dtype=torch.long),
        torch.zeros(1, 3, dtype=torch.long), torch.tensor([1]),
    )  # fmt: skip
    back = enc.to("cpu")
    assert torch.equal(back.ids, enc.ids) and back.device.type == "cpu"
