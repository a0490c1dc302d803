"""Cross-device mistakes caught on a CPU-only machine.

A tensor made without ``device=`` lands on the CPU; next to CUDA weights that is an error
only a GPU run would show. Here every torch factory call made by ``repro.nash`` code on the
paper-tier paths (pruning, masks, controller, training, generation, latency, data) must
name its device, and a pruned model's index buffers must follow ``model.to(...)``.
"""

import inspect
from pathlib import Path

import pytest
import torch
from torch.overrides import TorchFunctionMode

from repro.nash.arch import random_t5, tiny_t5_config
from repro.nash.controller import LagrangianController
from repro.nash.latency import GenerationSetup, measure, narrowed_model
from repro.nash.masks import ENCODER_GROUPS, L0Masks
from repro.nash.methods import ExperimentConfig
from repro.nash.paper import run_paper_seed
from repro.nash.prune import prune_model
from repro.nash.runner import resolve_device
from repro.nash.standins import write_standins

FACTORIES = {
    "arange", "zeros", "ones", "full", "empty", "rand", "randn", "randint", "randperm",
    "tensor", "as_tensor", "linspace", "eye",
}  # fmt: skip
NASH_DIR = str(Path(__file__).resolve().parents[2] / "lib" / "repro" / "nash")


class FactoryAudit(TorchFunctionMode):
    """Records factory calls from ``repro/nash`` code that do not pass ``device=``."""

    def __init__(self, prefix: str = NASH_DIR) -> None:
        super().__init__()
        self.prefix = prefix
        self.missing: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in FACTORIES and "device" not in kwargs:
            caller = inspect.currentframe().f_back
            while caller is not None and "/torch/" in caller.f_code.co_filename:
                caller = caller.f_back
            if caller is not None and caller.f_code.co_filename.startswith(self.prefix):
                where = Path(caller.f_code.co_filename).name
                self.missing.append(f"{where}:{caller.f_lineno} torch.{name}")
        return func(*args, **kwargs)


def test_audit_sees_a_factory_call_without_device():
    audit = FactoryAudit(prefix=str(Path(__file__).resolve()))
    with audit:
        torch.arange(3)
        torch.zeros(2, device="cpu")
    assert len(audit.missing) == 1 and audit.missing[0].endswith("torch.arange")


def test_pruning_and_latency_paths_name_their_device():
    model = random_t5(tiny_t5_config(vocab_size=40, num_layers=2), seed=0)
    masks = L0Masks(model.config, ENCODER_GROUPS, seed=0)
    audit = FactoryAudit()
    with audit:
        pruned = prune_model(model, masks.deterministic())
        narrow = narrowed_model(model, 0.5, 1, seed=0)
        measure(
            {"full": model, "narrow": narrow, "pruned": pruned},
            GenerationSetup(2, 6, 3),
            reference="full",
            warmup=0,
            repeats=1,
        )
        LagrangianController(device="cpu")
    assert audit.missing == []


@pytest.mark.slow
def test_paper_pipeline_names_its_device(tmp_path):
    write_standins(tmp_path, ["nash_t5_base", "nash_samsum"])
    cfg = ExperimentConfig(
        num_layers=2,
        teacher_steps=2,
        prune_steps=2,
        warmup_steps=1,
        final_steps=1,
        batch_size=4,
        decoder_layers=1,
        latency_repeats=1,
    )
    audit = FactoryAudit()
    with audit:
        res = run_paper_seed(
            cfg,
            dataset="samsum",
            arch="t5-base",
            methods=["full", "nash", "cofi", "decoder_only"],
            seed=0,
            n_eval=4,
            gen_len=4,
            device=resolve_device("auto"),
            root=tmp_path,
        )
    assert audit.missing == []
    assert set(res.method) == {"full", "nash", "cofi", "decoder_only"}
    steps = res[res.metric == "steps"].set_index("method")["value"]
    assert steps.nunique() == 1  # equal optimiser budgets (issue 13)


def test_pruned_index_buffers_follow_the_model():
    model = random_t5(tiny_t5_config(vocab_size=40, num_layers=2), seed=0)
    masks = L0Masks(model.config, ENCODER_GROUPS, seed=0)
    with torch.no_grad():
        masks.log_alpha["enc__self"][:, 0] = -10.0  # drop head 0 of every layer
    pruned = prune_model(model, masks.deterministic())
    kept = [m.kept_heads for m in pruned.modules() if "kept_heads" in m._buffers]
    assert kept and all(k.tolist() == [1, 2, 3] for k in kept)
    assert "kept_heads" not in " ".join(pruned.state_dict())  # not saved in checkpoints
    moved = pruned.to("meta")
    assert {b.device.type for b in moved.buffers()} == {"meta"}
    assert {p.device.type for p in moved.parameters()} == {"meta"}


def test_pruning_meta_weights_keeps_meta():
    with torch.device("meta"):
        model = random_t5(tiny_t5_config(vocab_size=40, num_layers=2), seed=0)
    narrow = narrowed_model(model, 0.5, 1, seed=0)
    assert {p.device.type for p in narrow.parameters()} == {"meta"}
    assert narrow.encoder.block[0].layer[0].SelfAttention.q.out_features == 16


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA"):
            resolve_device("cuda")


def test_training_moves_teacher_to_the_configured_device(monkeypatch):
    from repro.nash import methods
    from repro.nash.synthetic import SyntheticTask, make_dataset

    seen = []
    monkeypatch.setattr(
        methods, "finetune", lambda model, *a, **k: seen.append(next(model.parameters()).device)
    )
    cfg = ExperimentConfig(
        task=SyntheticTask(vocab_size=24, num_keywords=6, min_source_len=4, max_source_len=6),
        d_model=16,
        d_ff=32,
        num_heads=2,
        num_layers=2,
        device="meta",  # any device other than the CPU the model is built on
    )
    methods.train_teacher(cfg, make_dataset(cfg.task, 8, 0), seed=0)
    assert [d.type for d in seen] == ["meta"]
