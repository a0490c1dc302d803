"""The encoder-sparsity sweep (the paper's second claim) on a tiny configuration."""

import numpy as np
import pandas as pd
import pytest

from repro.core.claims import evaluate
from repro.nash.methods import ExperimentConfig
from repro.nash.sweep import SWEEP_CLAIMS, run_sweep, sweep_summary, sweep_values
from repro.nash.synthetic import SyntheticTask

TINY = ExperimentConfig(
    task=SyntheticTask(vocab_size=20, num_keywords=6, min_source_len=4, max_source_len=6,
                       max_target_len=3),
    d_model=16, d_ff=32, num_heads=2, num_layers=2, n_train=64, n_test=16,
    teacher_steps=4, prune_steps=4, warmup_steps=2, final_steps=2, batch_size=16,
    decoder_layers=1, latency_repeats=1,
)  # fmt: skip


def test_sweep_table_values_and_verdicts():
    res = run_sweep(TINY, [0.0, 0.3, 0.7], seeds=[0, 1])
    assert set(res.target) == {0.0, 0.3, 0.7}
    assert {"rougeL", "encoder_sparsity", "params"} <= set(res.metric)
    values = sweep_values(res)
    assert set(values) == {c.key for c in SWEEP_CLAIMS}
    assert all(len(v) == 2 for v in values.values())
    rows = [evaluate(c, values[c.key]) for c in SWEEP_CLAIMS]
    assert all(r["verdict"] == "inconclusive" for r in rows)  # 2 seeds < 3 registered
    summary = sweep_summary(res)
    assert list(summary.target) == [0.0, 0.3, 0.7]
    assert "encoder_sparsity_mean" in summary.columns


def test_sweep_values_are_paired_differences():
    rows = []
    # a light encoder loses at most 0.001 ROUGE-L; the heavy one loses about 0.2
    for seed, (q0, q1, q2) in enumerate([(0.5, 0.5, 0.3), (0.6, 0.602, 0.39), (0.7, 0.699, 0.51)]):
        for t, q in ((0.0, q0), (0.1, q1), (0.7, q2)):
            rows.append({"seed": seed, "target": t, "metric": "rougeL", "value": q})
    values = sweep_values(pd.DataFrame(rows))
    assert np.allclose(values["low_sparsity_keeps_quality"], [0.0, 0.002, -0.001])
    assert np.allclose(values["sweep_control"], [0.2, 0.21, 0.19])
    # non-inferiority: the interval lies above -margin although it straddles 0
    keeps = evaluate(SWEEP_CLAIMS[0], values["low_sparsity_keeps_quality"])
    assert keeps["ci_low"] < 0 < keeps["ci_high"] and keeps["verdict"] == "reproduced"
    assert evaluate(SWEEP_CLAIMS[1], values["sweep_control"])["verdict"] == "reproduced"


def test_sweep_needs_zero():
    with pytest.raises(ValueError, match=r"must hold 0\.0"):
        run_sweep(TINY, [0.3, 0.5], seeds=[0])
