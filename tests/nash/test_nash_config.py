"""NASH notebook Configs: validation, derived library configs, CLI defaults."""

import pytest

from repro.core.config import build_config
from repro.nash import cli
from repro.nash.config import (
    AccountingConfig,
    LatencyConfig,
    NashConfigError,
    PruningConfig,
)
from repro.nash.runner import experiment_config, generation_setups


def test_defaults_are_valid():
    assert LatencyConfig().nash_grid() == "compare"
    assert AccountingConfig().archs == ("t5-small", "t5-base", "t5-large")
    assert PruningConfig().tier == "mechanism"
    assert PruningConfig(data_source="release").tier == "paper"


@pytest.mark.parametrize(
    ("cls", "values", "field"),
    [
        (LatencyConfig, {"archs": ["t5-xxl"]}, "archs"),
        (LatencyConfig, {"device": "tpu"}, "device"),
        (LatencyConfig, {"encoder_sparsities": [0.0, 1.0]}, "encoder_sparsities"),
        (LatencyConfig, {"nash_decoder_layers": 2}, "nash_decoder_layers"),
        (AccountingConfig, {"encoder_sparsities": [1.5]}, "encoder_sparsities"),
        (PruningConfig, {"methods": ["nash", "magic"]}, "methods"),
        (PruningConfig, {"data_source": "web"}, "data_source"),
        (PruningConfig, {"warmup_steps": 500}, "warmup_steps"),
        (PruningConfig, {"seeds": []}, "seeds"),
    ],
)
def test_bad_values_name_the_field(cls, values, field):
    with pytest.raises(NashConfigError, match=f"{cls.__name__}.{field}="):
        build_config(cls, values)


def test_nash_configuration_may_live_in_the_main_grid():
    cfg = LatencyConfig(
        archs=("t5-base",), decoder_layers=(0, 3), encoder_sparsities=(0.0, 0.3), compare_arch=""
    )
    assert cfg.nash_grid() == "main"


def test_experiment_config_follows_cfg():
    cfg = PruningConfig(vocab_size=30, num_keywords=5, d_model=32, kd_alpha=0.25, device="cpu")
    exp = experiment_config(cfg)
    assert exp.task.vocab_size == 30 and exp.task.num_keywords == 5
    assert exp.d_model == 32 and exp.distill.kd_alpha == 0.25
    assert exp.device == "cpu"
    assert (exp.prune_steps, exp.final_steps, exp.final_lr) == (60, 15, 0.001)
    assert exp.task.rule == "topic" and exp.fit_masks and exp.decoder_layers == 2


def test_generation_setups_cover_the_grid():
    setups = generation_setups((1, 32), (20,), (1, 4), 128)
    assert {(s.batch, s.num_beams) for s in setups} == {(1, 1), (1, 4), (32, 1), (32, 4)}


def test_cli_defaults_come_from_the_config():
    import argparse

    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["nash", "latency"])
    d = LatencyConfig()
    assert (args.arch, args.decoder_layers, args.encoder_sparsity) == (
        d.nash_arch,
        d.nash_decoder_layers,
        d.nash_encoder_sparsity,
    )
    assert (args.batch, args.output_len, args.repeats, args.device) == (
        d.batch_sizes[0],
        d.output_lens[0],
        d.repeats,
        d.device,
    )


def test_rehearsal_pages_say_so(monkeypatch):
    from repro.nash import report

    monkeypatch.delenv("REPRO_REHEARSAL", raising=False)
    monkeypatch.setenv("REPRO_PROFILE", "local")
    assert "Rehearsal" not in report.tier_paragraph("mechanism")
    assert report.tier_suffix("paper") == "Paper tier."
    monkeypatch.setenv("REPRO_PROFILE", "rehearsal")
    assert report.tier_paragraph("paper").startswith("**Rehearsal on stand-in data")
    assert "not paper numbers" in report.tier_suffix("paper")
