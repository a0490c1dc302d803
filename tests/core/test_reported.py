"""Reported tables: provenance, layout and transcription slots (paper-agnostic core)."""

from __future__ import annotations

import pandas as pd

from repro.core.reported import load_reported, paper_items, slot_table, wide_table


def test_every_reported_row_names_its_source():
    for name in ("twlv_i.csv", "twlv_i_localization.csv"):
        df = load_reported(name)
        assert df["source"].str.match(r"arXiv:2408\.11318v2 Table \d+").all()


def test_wide_table_matches_the_paper_layout():
    wide = wide_table(load_reported("twlv_i.csv"), "Table 3")
    row = wide[(wide["model"] == "TWLV-I") & (wide["backbone"] == "ViT-L")].iloc[0]
    assert row["K400 top1"] == 80.17 and row["Avg5 top1"] == 48.61
    knn = wide_table(load_reported("twlv_i.csv"), "Table 6")
    assert list(knn.columns[2:]) == [
        "K400 uniform", "K400 clip", "K400 video", "SSv2 uniform", "SSv2 clip", "SSv2 video",
    ]  # fmt: skip


def test_paper_items_ids_are_unique_and_cover_twlv_tables_and_figures():
    items = paper_items()
    assert items["item_id"].is_unique
    twlv = set(items.loc[items["paper"] == "TWLV-I", "item_id"])
    assert {f"twlv_i.table{i}" for i in range(1, 13)} <= twlv
    assert {f"twlv_i.fig{i}" for i in range(1, 10)} <= twlv


def test_untranscribed_slots_say_so_and_adding_rows_fills_them(tmp_path, monkeypatch):
    slots = slot_table("NASH")
    assert (slots["reported"] == "reported values not transcribed").all()
    # Adding a table is a CSV edit: copy reported/ and append one row.
    import repro.core.reported as reported

    fake = tmp_path / "reported"
    fake.mkdir()
    for path in reported.reported_dir().glob("*.csv"):
        (fake / path.name).write_bytes(path.read_bytes())
    extra = pd.DataFrame(
        [{"paper": "NASH", "source": "test", "item_id": "nash.nlu", "row": "NASH",
          "column": "RTE acc", "value": 70.0, "note": ""}]
    )  # fmt: skip
    extra.to_csv(fake / "nash.csv", mode="a", header=False, index=False)
    monkeypatch.setattr(reported, "reported_dir", lambda: fake)
    slots = slot_table("NASH").set_index("item")
    assert slots.loc["nash.nlu", "reported"] == "1 values transcribed"
