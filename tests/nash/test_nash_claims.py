"""NASH claims: per-round and per-seed estimates from hand-made tables."""

import math

import numpy as np
import pandas as pd
import pytest

from repro.core.claims import evaluate
from repro.nash import claims


def _rec(k, s, group, samples, params):
    return {
        "arch": "t5-small",
        "batch": 1,
        "output_len": 2,
        "num_beams": 1,
        "decoder_layers": k,
        "encoder_sparsity": s,
        "sparsity_group": group,
        "samples_ms": samples,
        "params": params,
    }


@pytest.fixture
def lat():
    return pd.DataFrame(
        [
            _rec("all", 0.0, 0.0, [10.0, 12.0], 100),
            _rec("3", 0.0, 0.0, [5.0, 4.0], 70),
            _rec("1", 0.0, 0.0, [2.5, 3.0], 50),
            _rec("all", 0.0, 0.6, [10.0, 10.0], 100),
            _rec("all", 0.6, 0.6, [8.0, 10.0], 72),
            _rec("1", 0.6, 0.6, [2.0, 2.0], 22),
        ]
    )


def test_round_speedups_pair_rounds_within_a_group(lat):
    np.testing.assert_allclose(claims.round_speedups(lat, "t5-small", "3", 0.0), [2.0, 3.0])
    np.testing.assert_allclose(claims.round_speedups(lat, "t5-small", "all", 0.6), [1.25, 1.0])
    assert claims.round_speedups(lat, "t5-base", "3", 0.0).size == 0


def test_matched_pair_takes_the_closest_removal(lat):
    pair = claims.matched_pair(lat, "t5-small")
    assert (pair["k"], pair["s"], pair["enc_removed"], pair["dec_removed"]) == ("3", 0.6, 28, 30)


def test_latency_values(lat):
    vals = claims.latency_values(lat, ("t5-small", 1, 0.6))
    np.testing.assert_allclose(vals["decoder_dominates"], [0.75, 2.0])
    np.testing.assert_allclose(vals["readme_speedup"], [5.0, 5.0])
    np.testing.assert_allclose(vals["latency_control"], [4.0, 4.0])
    row = evaluate(claims.LATENCY_CLAIMS[1], vals["readme_speedup"])
    assert claims.range_position(row, 2.5, 4.2).startswith("above")


def test_range_position_words():
    def row(est, lo, hi):
        return {"estimate": est, "ci_low": lo, "ci_high": hi}

    assert claims.range_position(row(2.0, 1.8, 2.2), 2.5, 4.2).startswith("below")
    assert claims.range_position(row(3.0, 2.6, 3.4), 2.5, 4.2).startswith("inside")
    assert claims.range_position(row(2.5, 2.0, 3.0), 2.5, 4.2).startswith("overlapping")
    assert "one round only" in claims.range_position(row(2.0, math.nan, math.nan), 2.5, 4.2)
    assert claims.range_position(row(math.nan, math.nan, math.nan), 2.5, 4.2).startswith("not")


def test_pruning_values_are_paired_by_seed():
    rows = []
    for seed, (full, nash, cofi, dec) in {
        1: (0.8, 0.78, 0.7, 0.8),
        0: (0.5, 0.5, 0.4, 0.45),
    }.items():
        for method, q in {"full": full, "nash": nash, "cofi": cofi, "decoder_only": dec}.items():
            rows.append({"method": method, "seed": seed, "metric": "rougeL", "value": q})
            speed = {"full": 1.0, "nash": 3.0, "cofi": 1.5, "decoder_only": 3.2}[method]
            rows.append({"method": method, "seed": seed, "metric": "speedup", "value": speed})
    vals = claims.pruning_values(pd.DataFrame(rows))
    np.testing.assert_allclose(vals["nash_keeps_quality"], [1.0, 0.975])
    np.testing.assert_allclose(vals["nash_vs_cofi_quality"], [0.1, 0.08])
    np.testing.assert_allclose(vals["nash_vs_cofi_speed"], [1.5, 1.5])
    np.testing.assert_allclose(vals["nash_vs_decoder_only"], [0.05, -0.02])
    np.testing.assert_allclose(vals["pruning_control"], [3.2, 3.2])


def test_claims_of_methods_not_run_are_left_out():
    rows = [
        {"method": "nash", "seed": 0, "metric": "accuracy", "value": 0.9},
        {"method": "full", "seed": 0, "metric": "accuracy", "value": 0.9},
    ]
    vals = claims.pruning_values(pd.DataFrame(rows))
    assert set(vals) == {"nash_keeps_quality"}
    assert claims.quality_metric(pd.DataFrame(rows)) == "accuracy"


def test_registered_table_lists_every_claim():
    table = claims.registered(claims.PRUNING_CLAIMS, 3)
    assert len(table) == len(claims.PRUNING_CLAIMS)
    assert table["control"].sum() == 1 and (table["n_this_run"] == 3).all()


def test_pair_table(lat):
    table = claims.pair_table(lat, claims.matched_pair(lat, "t5-small"))
    assert len(table) == 1
    row = table.iloc[0]
    assert (row.k, row.decoder_speedup, row.encoder_speedup) == ("3", 2.5, 1.125)
    assert claims.pair_table(lat, None).empty
