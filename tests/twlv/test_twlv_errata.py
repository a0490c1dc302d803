"""TWLV-I errata: recomputed averages, the abstract's gains and suspected copy errors."""

from __future__ import annotations

import pytest

from repro.core.reported import load_reported
from repro.twlv.errata import (
    all_checks,
    check_twlv_abstract_gains,
    check_twlv_averages,
    twlv_errata,
)


def test_table3_averages_all_agree():
    checks = check_twlv_averages(load_reported("twlv_i.csv"))
    table3 = checks[checks["table"].str.endswith("Table 3")]
    assert len(table3) == 12 and (table3["status"] == "ok").all()


def test_known_table5_erratum_is_the_only_average_erratum():
    checks = check_twlv_averages(load_reported("twlv_i.csv"))
    bad = checks[checks["status"] == "erratum"]
    assert len(bad) == 1
    row = bad.iloc[0]
    assert (row["table"].endswith("Table 5"), row["model"], row["backbone"]) == (
        True,
        "TWLV-I(+SSv2)",
        "ViT-L",
    )
    assert row["printed"] == 66.88 and row["recomputed"] == pytest.approx(67.48, abs=1e-9)


def test_abstract_gains_follow_from_table3():
    gains = check_twlv_abstract_gains(
        load_reported("twlv_i.csv"), load_reported("twlv_i_abstract_claims.csv")
    )
    assert list(gains["recomputed"].round(2)) == [4.55, 7.70, 7.22, 2.66, 2.84]
    assert (gains["status"] == "ok").all()


def test_errata_list_is_exactly_the_known_findings():
    errata = twlv_errata()
    found = set(zip(errata["model"], errata["backbone"], errata["status"], strict=True))
    assert found == {
        ("TWLV-I(+SSv2)", "ViT-L", "erratum"),
        ("UMT-s1", "ViT-B", "suspected copy error"),
        ("UMT-s2", "ViT-B", "suspected copy error"),
    }


def test_all_checks_include_the_ok_rows():
    checks = all_checks()
    assert (checks["status"] == "ok").sum() >= 12 + 11 + 5
