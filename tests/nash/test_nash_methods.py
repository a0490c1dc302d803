"""Synthetic task, metrics, and the method runner on a tiny configuration."""

import pytest
import torch

from repro.nash.arch import tiny_t5_config
from repro.nash.methods import ExperimentConfig, Method, cofi_target
from repro.nash.metrics import accuracy, exact_match, normalize_answer, rouge
from repro.nash.sparsity import achieved_sparsity, decoder_prunable, encoder_prunable
from repro.nash.study import run_experiment
from repro.nash.synthetic import EOS, SyntheticTask, collate, ids_to_text, make_examples
from repro.nash.tables import summarize


def test_synthetic_targets_are_keywords_in_order():
    task = SyntheticTask(vocab_size=40, num_keywords=12, max_target_len=6)
    sources, targets = make_examples(task, 50, seed=0)
    for src, tgt in zip(sources, targets, strict=True):
        keys = [t for t in src[:-1] if t < 2 + 12][:6]
        assert tgt == [*keys, EOS] and src[-1] == EOS
    assert make_examples(task, 5, seed=1) == make_examples(task, 5, seed=1)


def test_collate_and_text():
    batch = collate([[5, 6, 1], [7, 1]], [[5, 1], [1]])
    assert batch.input_ids.tolist() == [[5, 6, 1], [7, 1, 0]]
    assert batch.labels.tolist() == [[5, 1], [1, -100]]
    assert ids_to_text(torch.tensor([0, 5, 9, 1, 4])) == "w5 w9"


def test_bad_task():
    with pytest.raises(ValueError, match="num_keywords"):
        SyntheticTask(vocab_size=10, num_keywords=8)


def test_rouge_hand_example():
    # prediction "a b c" vs reference "a b d": unigram P = R = 2/3, bigram 1/2, LCS 2/3
    r = rouge(["a b c"], ["a b d"], use_stemmer=False)
    assert r["rouge1"] == pytest.approx(2 / 3)
    assert r["rouge2"] == pytest.approx(1 / 2)
    assert r["rougeL"] == pytest.approx(2 / 3)


def test_rouge_length_mismatch():
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        rouge(["a", "b"], ["a"])


def test_exact_match_and_accuracy():
    assert normalize_answer("The  Cat!") == "cat"
    assert exact_match(["the cat", "dog"], [["cat", "kitty"], "wolf"]) == 0.5
    assert accuracy(["positive ", "negative"], ["positive", "positive"]) == 0.5


def test_cofi_target_matches_hand_arithmetic():
    cfg = tiny_t5_config(d_model=64, d_ff=256, num_heads=4, num_layers=4)
    enc, dec = encoder_prunable(cfg), decoder_prunable(cfg)
    expected = 1 - (0.5 * enc + dec / 4) / (enc + dec)
    assert cofi_target(cfg, 0.5, 1) == pytest.approx(expected)


def test_unknown_method():
    with pytest.raises(ValueError):
        Method("distilbart")


def test_run_experiment_tiny_is_deterministic():
    task = SyntheticTask(
        vocab_size=24, num_keywords=6, min_source_len=4, max_source_len=6, max_target_len=3
    )
    cfg = ExperimentConfig(
        task=task,
        d_model=16,
        d_ff=32,
        num_heads=2,
        num_layers=2,
        n_train=64,
        n_test=16,
        teacher_steps=4,
        prune_steps=4,
        warmup_steps=2,
        final_steps=2,
        batch_size=8,
        encoder_sparsity=0.5,
        decoder_layers=1,
        latency_batch=4,
        latency_repeats=1,
    )
    methods = [m.value for m in Method]
    res, hist = run_experiment(cfg, methods, [0])
    wide = res.pivot_table(index="method", columns="metric", values="value")
    assert set(wide.index) == set(methods)
    assert wide.loc["full", "overall_sparsity"] == pytest.approx(0.0)
    assert wide.loc["decoder_only", "encoder_sparsity"] == pytest.approx(0.0)
    assert wide.loc["decoder_only", "params"] < wide.loc["full", "params"]
    assert set(hist.method) == {"nash", "nash_no_distill", "cofi", "encoder_only"}
    summary = summarize(res)
    assert {"rougeL_mean", "rougeL_std", "speedup_mean"} <= set(summary.columns)
    res2, _ = run_experiment(cfg, methods, [0])
    quality = res.metric.isin(["rouge1", "rouge2", "rougeL", "exact_match", "params"])
    assert res[quality].reset_index(drop=True).equals(res2[quality].reset_index(drop=True))


def test_achieved_sparsity_of_structure():
    cfg = tiny_t5_config(num_layers=2)
    full = {
        "enc.self": [4, 4],
        "enc.ffn": [64, 64],
        "dec.self": [4, 4],
        "dec.cross": [4, 4],
        "dec.ffn": [64, 64],
    }
    assert achieved_sparsity(full, cfg) == {"encoder_sparsity": 0.0, "overall_sparsity": 0.0}
    half = {**full, "enc.self": [2, 2], "enc.ffn": [32, 32]}
    assert achieved_sparsity(half, cfg)["encoder_sparsity"] == pytest.approx(0.5)


def test_plots_return_figures():
    import pandas as pd

    from repro.nash import plots

    lat = pd.DataFrame(
        {
            "arch": "t5-small",
            "batch": 1,
            "output_len": 4,
            "num_beams": 1,
            "sparsity_group": [0.0, 0.0, 0.5, 0.5],
            "encoder_sparsity": [0.0, 0.0, 0.0, 0.5],
            "decoder_layers": ["all", "1", "all", "1"],
            "speedup": [1.0, 2.0, 1.0, 2.5],
            "config": ["k=all,s=0", "k=1,s=0", "k=all,s=0", "k=1,s=0.5"],
            "encoder_ms": 1.0,
            "decoder_ms": 2.0,
            "lm_head_ms": 1.0,
            "other_ms": 0.5,
        }
    )
    fig = plots.latency_anatomy(lat, "t")
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 3  # two groups + the reference line
    assert plots.time_breakdown(lat, "t").axes
    summary = pd.DataFrame(
        {
            "method": ["full", "nash"],
            "rougeL_mean": [0.7, 0.6],
            "rougeL_std": [0.01, 0.02],
            "speedup_mean": [1.0, 2.0],
            "speedup_std": [0.0, 0.1],
        }
    )
    assert plots.quality_vs_speedup(summary, "rougeL", "t").axes
