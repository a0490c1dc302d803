"""The release-metric emulation: fake-clock counts, EOS stopping, where synchronisation goes.

A fake clock that advances by exactly 1 s per reading makes every timed block cost 1 s, so
the release's metric must equal the number of block calls: encoder blocks once per batch,
decoder blocks once per decoding step, and nothing for the output layer.
"""

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from repro.nash import claims, release_report
from repro.nash.arch import random_t5, tiny_t5_config
from repro.nash.config import LatencyConfig, NashConfigError
from repro.nash.latency import narrowed_model
from repro.nash.prune import structure
from repro.nash.release_latency import (
    BlockTimer,
    EosAt,
    ReleaseSetup,
    eos_steps,
    make_batches,
    release_models,
    release_rounds,
    sync_for,
    timed_pass,
)

EOS = 1


def _factory_audit():
    """The device audit of ``test_nash_device.py`` (tests are not a package: load by path)."""
    path = Path(__file__).with_name("test_nash_device.py")
    spec = importlib.util.spec_from_file_location("nash_device_audit", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FactoryAudit()


@pytest.fixture(scope="module")
def tiny():
    return random_t5(tiny_t5_config(vocab_size=40, num_layers=2), seed=0)


def fake_clock():
    ticks = itertools.count()
    return lambda: float(next(ticks))


def test_release_metric_sums_block_calls_and_leaves_out_the_output_layer(tiny):
    setup = ReleaseSetup(batch=2, examples=3, input_len=5, max_length=8, min_output=2)
    steps = np.array([6, 3, 4])  # batch 1 decodes 6 steps (its longest), batch 2 decodes 4
    batches = make_batches(setup, 40, seed=0, device="cpu")
    head_calls = []
    handle = tiny.lm_head.register_forward_hook(lambda *_: head_calls.append(1))
    try:
        res = timed_pass(tiny, batches, steps, setup, clock=fake_clock())
    finally:
        handle.remove()
    assert res["encoder_block_calls"] == 2 * 2  # 2 batches x 2 encoder blocks
    assert res["decoder_block_calls"] == (6 + 4) * 2  # decoding steps x 2 decoder blocks
    assert len(head_calls) == 6 + 4  # the output layer ran every step but is not timed
    assert res["encoder_block_ms"] == pytest.approx(4 * 1000 / 3)  # 1 s per call, 3 examples
    assert res["decoder_block_ms"] == pytest.approx(20 * 1000 / 3)
    assert res["block_ms"] == pytest.approx(24 * 1000 / 3)
    assert res["decoder_tokens"] == 2 * 6 + 1 * 4


def test_generation_stops_at_each_rows_eos(tiny):
    setup = ReleaseSetup(batch=3, examples=3, input_len=5, max_length=10, min_output=1)
    (ids,) = make_batches(setup, 40, seed=1, device="cpu")
    steps = torch.tensor([2, 5, 3], device="cpu")
    with torch.inference_mode():
        out = tiny.generate(
            ids, max_length=10, do_sample=False, logits_processor=[EosAt(steps, EOS)]
        )
    assert out.shape[1] == 1 + 5  # start token + the longest row's 5 tokens, not max_length
    for row, n in zip(out, steps.tolist(), strict=True):
        first_eos = int((row == EOS).nonzero()[0])
        assert first_eos == n  # EOS is the n-th new token, none earlier


def test_eos_processor_hand_values():
    scores = torch.zeros(4, 5)
    ids = torch.zeros(4, 3, dtype=torch.long)  # start token + 2 tokens: choosing the 3rd
    out = EosAt(torch.tensor([3, 5]), eos_id=1, num_beams=2)(ids, scores)
    inf = float("-inf")
    assert out[:2].tolist() == [[inf, 0.0, inf, inf, inf]] * 2  # rows of sequence 0: only EOS
    assert out[2:].tolist() == [[0.0, inf, 0.0, 0.0, 0.0]] * 2  # sequence 1: anything but EOS


def test_synchronisation_only_around_the_whole_call(tiny, monkeypatch):
    def forbidden():
        raise AssertionError("the block timer must not synchronise")

    monkeypatch.setattr(torch.cuda, "synchronize", forbidden)
    calls = []
    setup = ReleaseSetup(batch=1, examples=2, input_len=4, max_length=4, min_output=1)
    batches = make_batches(setup, 40, seed=0, device="cpu")
    timed_pass(tiny, batches, np.array([2, 3]), setup, sync=lambda: calls.append(1))
    assert len(calls) == 2 * len(batches)  # before and after each generate, never in blocks


def test_sync_for_device_placement():
    assert sync_for("cpu") is None
    assert sync_for(torch.device("cuda", 0)) is torch.cuda.synchronize  # chosen, not called
    (ids,) = make_batches(ReleaseSetup(batch=2, examples=2, input_len=3), 40, 0, device="meta")
    assert ids.device.type == "meta" and ids.shape == (2, 3)


def test_block_timer_removes_its_hooks(tiny):
    with BlockTimer(tiny, fake_clock()):
        assert tiny.encoder.block[0]._forward_hooks
    assert not tiny.encoder.block[0]._forward_hooks
    assert not tiny.decoder.block[1]._forward_pre_hooks


def test_eos_steps_are_seeded_and_in_range():
    setup = ReleaseSetup(examples=50, max_length=20, min_output=4)
    a, b = eos_steps(setup, 3), eos_steps(setup, 3)
    assert (a == b).all() and a.min() >= 4 and a.max() <= 19


@pytest.mark.parametrize("bad", [{"min_output": 0}, {"max_length": 4, "min_output": 4}])
def test_setup_and_config_reject_bad_lengths(bad):
    with pytest.raises(ValueError):
        ReleaseSetup(**bad)
    with pytest.raises(NashConfigError, match="release_"):
        LatencyConfig(**{f"release_{k}": v for k, v in bad.items()})


def rounds_table() -> pd.DataFrame:
    block = {"full": [10.0, 12.0], "decoder_only": [4.0, 6.0], "nash": [2.0, 4.0]}
    e2e = {"full": [20.0, 24.0], "decoder_only": [12.0, 16.0], "nash": [10.0, 12.0]}
    return pd.DataFrame(
        [
            {"role": r, "config": r, "round": i, "block_ms": block[r][i], "e2e_ms": e2e[r][i]}
            for i in range(2)
            for r in block
        ]
    )


def test_release_claim_values_hand_computed():
    vals = claims.release_values(rounds_table())
    assert vals["release_readme_speedup"].tolist() == [5.0, 3.0]
    assert vals["release_readme_upper"].tolist() == [5.0, 3.0]
    assert vals["release_e2e_speedup"].tolist() == [2.0, 2.0]
    assert vals["release_decoder_share"].tolist() == [0.75, 0.75]  # (10-4)/(10-2), (12-6)/(12-4)
    summary = release_report.release_summary(rounds_table()).set_index("role")
    assert summary.loc["nash", "speedup_release_metric"] == 4.0  # median of 5 and 3
    assert summary.loc["full", "block_share_of_e2e"] == 0.5


def test_bracket_words():
    assert "lies between them" in release_report.bracket_text(2.0, 5.0, 2.5, 4.2)
    assert "lies above both" in release_report.bracket_text(1.5, 2.0, 2.5, 4.2)
    assert "raises it by 50%" in release_report.bracket_text(2.0, 3.0, 2.5, 4.2)


def test_rounds_record_both_metrics_and_name_devices():
    setup = ReleaseSetup(batch=1, examples=1, input_len=4, max_length=3, min_output=1)
    cfg = tiny_t5_config(vocab_size=40, num_layers=2)
    audit = _factory_audit()
    with audit:
        rel = release_rounds(cfg, 1, 0.5, setup, repeats=2)
    assert audit.missing == []
    assert list(rel.role) == ["full", "decoder_only", "nash"] * 2
    assert (rel.block_ms > 0).all() and (rel.e2e_ms >= rel.block_ms).all()
    assert "GFLOP/s" in release_report.regime_text(rel, "test cpu")


def test_nash_from_the_shortened_copy_equals_nash_from_the_full_model():
    cfg = tiny_t5_config(vocab_size=40, num_layers=3)
    models = release_models(cfg, 2, 0.5, seed=0, device="cpu")
    direct = narrowed_model(random_t5(cfg, seed=0), 0.5, 2, seed=0)
    assert structure(models["nash"][3]) == structure(direct)
    for a, b in zip(models["nash"][3].parameters(), direct.parameters(), strict=True):
        assert torch.equal(a, b)
