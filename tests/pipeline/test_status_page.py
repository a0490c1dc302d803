"""The reproduction-status page: tiers per paper item, paper-vs-ours delta, claim verdicts."""

from __future__ import annotations

import pandas as pd

from repro.core.artifacts import PROFILE_ENV, read_artifact_metadata, start_run
from repro.pipeline.status_page import (
    artifact_tier,
    best_tier,
    claims_table,
    status_rows,
    verdict_rows,
)


def _items() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ["TWLV-I", "twlv_i.table3", "table", "Linear probing", "reported/twlv_i.csv", ""],
            ["TWLV-I", "twlv_i.table1", "table", "Pretraining data", "not transcribed", ""],
            ["TWLV-I", "twlv_i.fig2", "figure", "Appearance vs motion", "not transcribed", ""],
        ],
        columns=["paper", "item_id", "kind", "title", "reported_source", "notes"],
    )


def test_strongest_tier_and_delta(tmp_path):
    run = start_run("twlv_i/bench", params={}, out_dir=tmp_path / "twlv_i" / "bench")
    table = pd.DataFrame({"dataset": ["K400", "SSv2"], "reported": [80.0, 46.0],
                          "reproduced": [79.0, 47.5]})  # fmt: skip
    run.save_table(table, "t3", caption="ours vs paper", tier="paper",
                   paper_items=["twlv_i.table3"])  # fmt: skip
    run.save_table(table.drop(columns="reproduced"), "t3_reported", caption="reported",
                   tier="reported", paper_items=["twlv_i.table3"])  # fmt: skip
    rows = status_rows(read_artifact_metadata(tmp_path), _items()).set_index("item")
    assert rows.loc["twlv_i.table3", "tier"] == "reproduced at paper tier"
    assert rows.loc["twlv_i.table3", "comparison"] == "2 values; mean Δ +0.25, max |Δ| 1.50"
    assert rows.loc["twlv_i.table3", "pages"] == ["twlv_i/bench"]
    assert rows.loc["twlv_i.table1", "tier"] == "not yet"
    assert rows.loc["twlv_i.fig2", "tier"] == "not yet"


def _verdicts(paper_item: str, verdict: str) -> pd.DataFrame:
    return pd.DataFrame(
        [[paper_item, "attentive beats linear", "positive", 1.5, 0.5, 2.5, 3, verdict, "att",
          "attentive minus linear (points)", 0.0, False]],
        columns=["paper_item", "claim", "expected", "estimate", "ci_low", "ci_high", "n_seeds",
                 "verdict", "key", "quantity", "threshold", "control"],
    )  # fmt: skip


def test_verdict_column_and_claims(tmp_path):
    run = start_run("twlv_i/bench", params={}, out_dir=tmp_path / "twlv_i" / "bench")
    table = _verdicts("twlv_i.table3", "reproduced")
    table["tier"] = "mechanism"
    run.save_table(table, "verdicts", caption="claims", tier="mechanism",
                   paper_items=["twlv_i.table3"])  # fmt: skip
    metas = read_artifact_metadata(tmp_path)
    rows = status_rows(metas, _items()).set_index("item")
    assert rows.loc["twlv_i.table3", "tier"] == "mechanism reproduced offline"
    assert rows.loc["twlv_i.table3", "verdict"] == "reproduced"
    assert rows.loc["twlv_i.table1", "verdict"] == ""
    claims = verdict_rows(metas)
    assert list(claims["notebook"]) == ["twlv_i/bench"] and list(claims["tier"]) == ["mechanism"]
    lines = claims_table(claims)
    assert "| twlv_i.table3 | attentive beats linear | +1.5 | [+0.5, +2.5] | 3 |" in lines[2]
    assert "**reproduced** | mechanism | {doc}`bench <twlv_i/bench>` |" in lines[2]


def test_rehearsal_is_its_own_tier_never_paper(tmp_path, monkeypatch):
    monkeypatch.setenv(PROFILE_ENV, "rehearsal")
    run = start_run("twlv_i/bench", params={}, out_dir=tmp_path / "twlv_i" / "bench")
    table = pd.DataFrame({"dataset": ["K400"], "reported": [80.0], "reproduced": [3.0]})
    run.save_table(table, "t3", caption="stand-in data", tier="paper",
                   paper_items=["twlv_i.table3"])  # fmt: skip
    verdicts = _verdicts("twlv_i.table3", "inconclusive")
    verdicts["tier"] = "paper"
    run.save_table(verdicts, "verdicts", caption="claims", tier="paper",
                   paper_items=["twlv_i.table3"])  # fmt: skip
    metas = read_artifact_metadata(tmp_path)
    assert {artifact_tier(m) for m in metas} == {"rehearsal"}
    row = status_rows(metas, _items()).set_index("item").loc["twlv_i.table3"]
    assert row["tier"] == "paper path rehearsed on stand-in data"
    assert row["comparison"] == ""  # stand-in numbers are never held against the paper's
    assert row["verdict"] == "inconclusive (rehearsal, stand-in data)"
    assert list(verdict_rows(metas)["tier"]) == ["rehearsal"]


def test_a_rehearsal_build_ranks_the_rehearsed_paper_path_first():
    tiers = ["mechanism", "rehearsal", "reported"]
    assert best_tier(tiers) == "mechanism"
    assert best_tier(tiers, rehearsal_first=True) == "rehearsal"
    assert best_tier(["mechanism", "reported"], rehearsal_first=True) == "mechanism"
