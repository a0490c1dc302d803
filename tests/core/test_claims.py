"""Verdicts from paired seeds, on hand-checkable numbers."""

from __future__ import annotations

import math

import pytest

from repro.core.claims import (
    Claim,
    controls_passed,
    describe,
    evaluate,
    t_interval,
    verdict,
    verdict_table,
)


def test_t_interval_by_hand() -> None:
    # mean 2, sd 1, n 3: half-width = t(0.975, 2) * 1 / sqrt(3) = 4.3027 / 1.7321 = 2.4841
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert low == pytest.approx(2.0 - 2.4841, abs=1e-4)
    assert high == pytest.approx(2.0 + 2.4841, abs=1e-4)


def test_one_value_has_no_interval() -> None:
    mean, low, high = t_interval([0.5])
    assert mean == 0.5 and math.isnan(low) and math.isnan(high)


@pytest.mark.parametrize(
    ("low", "high", "expected", "threshold", "want"),
    [
        (0.1, 0.4, "positive", 0.0, "reproduced"),
        (-0.4, -0.1, "positive", 0.0, "contradicted"),
        (-0.1, 0.4, "positive", 0.0, "inconclusive"),
        (-0.4, -0.1, "negative", 0.0, "reproduced"),
        (0.1, 0.4, "negative", 0.0, "contradicted"),
        (-0.5, -0.3, "positive", -1.0, "reproduced"),  # non-inferiority margin
        (math.nan, math.nan, "positive", 0.0, "inconclusive"),
    ],
)
def test_verdict_rules(low, high, expected, threshold, want) -> None:
    assert verdict(low, high, expected, threshold) == want


def test_fewer_seeds_than_registered_is_inconclusive() -> None:
    claim = Claim("c", "x.item", "A beats B.", "A - B", n_seeds=3)
    assert evaluate(claim, [1.0, 1.1, 0.9])["verdict"] == "reproduced"
    assert evaluate(claim, [1.0, 1.1])["verdict"] == "inconclusive"


def test_verdict_table_columns_and_controls() -> None:
    ok = Claim("ctl", "x.item", "Control.", "gap", control=True)
    rows = [evaluate(ok, [1.0, 1.2, 0.8])]
    table = verdict_table(rows)
    assert list(table.columns[:8]) == [
        "paper_item", "claim", "expected", "estimate", "ci_low", "ci_high", "n_seeds", "verdict",
    ]  # fmt: skip
    assert controls_passed(table)
    table.loc[0, "verdict"] = "inconclusive"
    assert not controls_passed(table)


def test_deterministic_claim_is_decided_by_one_exact_value() -> None:
    claim = Claim("exact", "x.item", "Counts match.", "mismatched rows", "negative",
                  threshold=0.5, deterministic=True)  # fmt: skip
    row = evaluate(claim, [0.0])
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == (0.0, 0.0, 0.0)
    assert row["verdict"] == "reproduced"
    assert evaluate(claim, [0.0, 1.0])["verdict"] == "inconclusive"  # values disagree


def test_sentence_names_the_replicate() -> None:
    claim = Claim(
        "lat", "x.item", "Faster.", "speedup (x)", threshold=1.0, replicate="timing round"
    )
    row = evaluate(claim, [2.0, 2.1, 1.9])
    assert "over 3 timing rounds" in describe(row)
    assert "over 3 seeds" in describe(evaluate(Claim("s", "x.item", "Up.", "gap"), [1.0, 1.1, 0.9]))
