"""The reproduction-status page: tiers per paper item and the paper-vs-ours delta."""

from __future__ import annotations

import pandas as pd

from repro.core.artifacts import read_artifact_metadata, start_run
from repro.pipeline.status_page import status_rows


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
