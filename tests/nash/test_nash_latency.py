"""Timing helper and the generate() latency harness."""

import time

import pytest
import torch

from repro.core.timing import speedups, summarize_ms, time_callable, time_interleaved
from repro.nash.arch import random_t5, tiny_t5_config
from repro.nash.latency import GenerationSetup, generate_call, make_inputs, measure, part_times


def test_summarize_hand_values():
    s = summarize_ms([1.0, 2.0, 3.0, 4.0, 100.0])
    assert s["median_ms"] == 3.0 and s["iqr_ms"] == pytest.approx(2.0) and s["repeats"] == 5


@pytest.mark.parametrize("bad", [[], [1.0, -1.0], [float("nan")]])
def test_summarize_rejects(bad):
    with pytest.raises(ValueError, match="samples_ms"):
        summarize_ms(bad)


def test_time_callable_counts_warmup_and_repeats():
    calls = []
    res = time_callable(lambda: calls.append(1), warmup=2, repeats=4)
    assert len(calls) == 6 and res["repeats"] == 4 and len(res["samples_ms"]) == 4


def test_time_callable_measures_sleep_and_sync():
    synced = []
    res = time_callable(
        lambda: time.sleep(0.01), warmup=0, repeats=3, sync=lambda: synced.append(1)
    )
    assert 9.0 <= res["median_ms"] < 100.0
    assert len(synced) == 6  # before and after each timed call


def test_interleaved_round_robin_order():
    order = []
    res = time_interleaved(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")}, warmup=1, repeats=2
    )
    assert order == ["a", "b"] * 3 and set(res) == {"a", "b"}
    assert speedups({"a": {"median_ms": 2.0}, "b": {"median_ms": 1.0}}, "a") == {"a": 1.0, "b": 2.0}


@pytest.mark.parametrize(("warmup", "repeats"), [(-1, 3), (0, 0)])
def test_bad_counts(warmup, repeats):
    with pytest.raises(ValueError):
        time_callable(lambda: None, warmup=warmup, repeats=repeats)


def test_generate_output_length_is_forced():
    # All logits are 0, so greedy picks id 0; made the EOS id, generation would stop at once.
    model = random_t5(tiny_t5_config(num_layers=1), seed=0)
    with torch.no_grad():
        model.decoder.final_layer_norm.weight.zero_()
    model.generation_config.eos_token_id = 0
    setup = GenerationSetup(batch=2, input_len=5, output_len=7)
    free = model.generate(make_inputs(setup, 64), max_new_tokens=7)
    assert free.shape[1] < 8
    out = generate_call(model, make_inputs(setup, 64), setup)()
    assert out.shape == (2, 8)


def test_measure_records_and_parts():
    cfg = tiny_t5_config(num_layers=1)
    models = {"full": random_t5(cfg, seed=0), "copy": random_t5(cfg, seed=1)}
    setup = GenerationSetup(batch=2, input_len=6, output_len=2, num_beams=2)
    recs = measure(models, setup, reference="full", warmup=0, repeats=3)
    by = {r["config"]: r for r in recs}
    assert by["full"]["speedup"] == 1.0
    for r in recs:
        assert r["median_ms"] > 0 and r["iqr_ms"] >= 0 and r["repeats"] == 3
        assert r["batch"] == 2 and r["output_len"] == 2 and r["num_beams"] == 2
        assert r["device"] == "cpu" and r["threads"] >= 1 and r["dtype"] == "float32"
        parts = r["encoder_ms"] + r["decoder_ms"] + r["lm_head_ms"] + r["other_ms"]
        assert parts == pytest.approx(r["total_ms"])
        assert min(r["encoder_ms"], r["decoder_ms"], r["lm_head_ms"]) > 0


def test_part_times_decoder_called_per_step():
    model = random_t5(tiny_t5_config(num_layers=1), seed=0)
    setup = GenerationSetup(batch=1, input_len=4, output_len=3)
    res = part_times(model, make_inputs(setup, 64), setup)
    assert res["total_ms"] >= res["decoder_ms"] > 0


@pytest.mark.parametrize("field", ["batch", "input_len", "output_len", "num_beams"])
def test_setup_rejects_zero(field):
    with pytest.raises(ValueError, match=field):
        GenerationSetup(**{field: 0})


def test_speedup_table_orders_k_and_drops_repeated_reference():
    from repro.nash.latency import speedup_table

    base = {"arch": "a", "batch": 1, "output_len": 2, "num_beams": 1}
    recs = [
        {
            **base,
            "sparsity_group": 0.0,
            "encoder_sparsity": 0.0,
            "decoder_layers": "all",
            "speedup": 1.0,
        },
        {
            **base,
            "sparsity_group": 0.0,
            "encoder_sparsity": 0.0,
            "decoder_layers": "2",
            "speedup": 1.5,
        },
        {
            **base,
            "sparsity_group": 0.0,
            "encoder_sparsity": 0.0,
            "decoder_layers": "10",
            "speedup": 1.1,
        },
        {
            **base,
            "sparsity_group": 0.5,
            "encoder_sparsity": 0.0,
            "decoder_layers": "all",
            "speedup": 7.0,
        },
        {
            **base,
            "sparsity_group": 0.5,
            "encoder_sparsity": 0.5,
            "decoder_layers": "2",
            "speedup": 2.0,
        },
    ]
    table = speedup_table(recs)
    assert list(table.columns[-3:]) == ["k=all", "k=10", "k=2"]
    assert table.loc[table.encoder_sparsity == 0.0, "k=all"].item() == 1.0  # not averaged with 7.0
    assert table.loc[table.encoder_sparsity == 0.5, "k=2"].item() == 2.0
