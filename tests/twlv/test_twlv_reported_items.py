"""TWLV-I items accounted for: the descriptive tables' CSV, Table 4 vs ours, Figs. 1 and 4.

Expected values are copied by hand from ``shared/reference/twlv_i.md`` section 3.
"""

from __future__ import annotations

import pandas as pd
import pytest

from repro.core.errors import InputError
from repro.core.reported import has_reported_values, load_reported, paper_items
from repro.twlv import setup_tables
from repro.twlv.reported_figures import best_competitor_per_task, tidy_results
from repro.twlv.setup_tables import ReportedFileError, load_setup, setup_table, validate_setup


@pytest.fixture(scope="module")
def setup() -> pd.DataFrame:
    return load_setup()


def _cell(setup: pd.DataFrame, table: int, row: str, column: str) -> str:
    rows = setup[
        (setup["item_id"] == f"twlv_i.table{table}")
        & (setup["row"] == row)
        & (setup["column"] == column)
    ]
    assert len(rows) == 1, (table, row, column)
    return rows["value"].iat[0]


def test_setup_csv_names_its_source_and_holds_the_five_tables(setup):
    assert tuple(setup.columns) == setup_tables.COLUMNS
    tables = set(setup["source"].str.extract(r"Table (\d+)$")[0].astype(int))
    assert tables == set(setup_tables.SETUP_TABLES)
    assert (setup["item_id"] == "twlv_i.table" + setup["source"].str.split().str[-1]).all()


@pytest.mark.parametrize(
    ("table", "row", "column", "value"),
    [
        (1, "K710", "size", "658K"),
        (1, "CC12M", "size", "11.00M"),
        (2, "K400", "train", "235693"),
        (2, "SSv2", "type", "motion"),
        (2, "AVA v2.2", "val", "57371"),
        (2, "Breakfast", "train", "~1284"),
        (4, "LP learning rate", "SSv2", "0.075"),
        (4, "LP epochs", "DV48", "300"),
        (4, "AP epochs", "EK", "50"),
        (4, "AP weight decay", "all datasets", "1e-5"),
        (7, "learning rate", "THUMOS14", "0.001"),
        (7, "stride (s)", "ActivityNet-1.3", "0.25"),
        (7, "video FPS", "GTEA", "15"),
        (8, "MLP dimension", "AVA v2.2", "2048"),
        (8, "epochs", "AVA v2.2", "50"),
    ],
)
def test_hand_checked_cells(setup, table, row, column, value):
    assert _cell(setup, table, row, column) == value


def test_cells_missing_from_the_reference_are_not_invented(setup):
    table2 = setup[setup["item_id"] == "twlv_i.table2"]
    typed = set(table2.loc[table2["column"] == "type", "row"])
    assert typed == {"K400", "MiT", "SSv2", "DV48", "Epic-Kitchens"}
    table7 = setup[setup["item_id"] == "twlv_i.table7"]
    assert set(table7.loc[table7["row"] == "weight decay", "column"]) == {
        "50Salads",
        "GTEA",
        "Breakfast",
    }


def test_paper_items_point_the_setup_tables_at_the_csv():
    items = paper_items().set_index("item_id")
    for number in setup_tables.SETUP_TABLES:
        item = f"twlv_i.table{number}"
        assert items.loc[item, "reported_source"] == "reported/twlv_i_setup.csv"
        assert has_reported_values(item, items.loc[item, "reported_source"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": "arXiv:2408.11318v2 Table 3"}, "line 2: field 'source'"),
        ({"item_id": "twlv_i.table2"}, "line 2: field 'item_id'"),
        ({"value": ""}, "line 2: field 'value' is empty"),
        ({"paper": "NASH"}, "line 2: field 'paper'"),
    ],
)
def test_bad_rows_fail_with_one_line_naming_file_line_and_field(setup, change, message):
    bad = setup.copy()
    for field, value in change.items():
        bad.loc[0, field] = value
    with pytest.raises(ReportedFileError, match=message) as caught:
        validate_setup(bad, "twlv_i_setup.csv")
    assert isinstance(caught.value, InputError)
    assert str(caught.value).startswith("twlv_i_setup.csv: ")
    assert "\n" not in str(caught.value)


def test_duplicate_cells_and_wrong_columns_are_rejected(setup):
    with pytest.raises(ReportedFileError, match="given twice"):
        validate_setup(pd.concat([setup, setup.iloc[[3]]], ignore_index=True))
    with pytest.raises(ReportedFileError, match="columns"):
        validate_setup(setup.drop(columns="note"))


def test_table_layout_keeps_printed_order_and_notes(setup):
    table4 = setup_table(setup, 4)
    assert list(table4.columns) == [
        "setting", "all datasets", "K400", "MiT", "SSv2", "DV48", "EK", "IN-1K", "notes",
    ]  # fmt: skip
    table7 = setup_table(setup, 7).set_index("setting")
    assert "swapped" in table7.loc["learning rate", "notes"]
    assert table7.loc["weight decay", "THUMOS14"] == ""


def test_table4_beside_the_encoded_protocol_is_computed(setup):
    both = setup_tables.probe_protocol_comparison(setup)
    assert len(both) == 6 * 2 * 5 and both["equal"].all()
    changed = setup.copy()
    mask = (changed["row"] == "LP learning rate") & (changed["column"] == "K400")
    changed.loc[mask, "value"] = "0.2"
    differ = setup_tables.probe_protocol_comparison(changed).query("not equal")
    assert list(zip(differ["probe"], differ["dataset"], differ["setting"], strict=True)) == [
        ("linear", "K400", "learning rate")
    ]
    assert (differ["paper"].iat[0], differ["ours"].iat[0]) == ("0.2", "0.1")


def _row(source, model, backbone, value, dataset="D", metric="top1", dagger=False):
    return {
        "source": f"arXiv:2408.11318v2 {source}",
        "protocol": "linear_probe",
        "model": model,
        "backbone": backbone,
        "dataset": dataset,
        "metric": metric,
        "value": value,
        "in_pretraining": dagger,
    }


def test_best_competitor_on_a_hand_checked_table():
    tidy = pd.DataFrame(
        [
            _row("Table 3", "TWLV-I", "ViT-L", 50.0),
            _row("Table 3", "TWLV-I(+SSv2)", "ViT-L", 60.0),  # ours, never a competitor
            _row("Table 3", "A", "ViT-L", 45.0),
            _row("Table 3", "B", "ViT-L", 45.0),  # tie with A
            _row("Table 3", "C", "ViT-H", 55.0, dagger=True),
            _row("Table 3", "TWLV-I", "ViT-L", 30.0, dataset="E"),
            _row("Table 3", "A", "ViT-L", 32.0, dataset="E", dagger=True),
        ]
    )
    tasks = (
        ("Table 3", "linear_probe", "D", "top1", "task D"),
        ("Table 3", None, "E", "top1", "task E"),
        ("Table 3", "linear_probe", "missing", "top1", "left out"),
    )
    same_size = best_competitor_per_task(tidy, tasks)
    assert list(same_size["task"]) == ["task D", "task E"]
    d, e = same_size.to_dict("records")
    assert (d["competitor"], d["competitor_value"], d["gap"]) == ("A ViT-L / B ViT-L", 45.0, 5.0)
    assert not d["competitor_in_pretraining"]
    assert (e["competitor"], e["gap"], e["competitor_in_pretraining"]) == ("A ViT-L", -2.0, True)
    any_size = best_competitor_per_task(tidy, tasks, competitors="all").iloc[0]
    assert (any_size["competitor"], any_size["gap"]) == ("C ViT-H", -5.0)
    assert any_size["competitor_in_pretraining"]
    with pytest.raises(ValueError, match="competitors"):
        best_competitor_per_task(tidy, tasks, competitors="ViT-B")


def test_fig1_data_from_the_reported_tables():
    tidy = tidy_results(load_reported("twlv_i.csv"), load_reported("twlv_i_localization.csv"))
    best = best_competitor_per_task(tidy).set_index("task")
    # Table 3 SSv2: V-JEPA ViT-L 52.50 (dagger) vs TWLV-I ViT-L 46.41.
    assert best.loc["linear SSv2", "competitor"] == "V-JEPA ViT-L"
    assert best.loc["linear SSv2", "gap"] == pytest.approx(46.41 - 52.50)
    assert best.loc["linear SSv2", "competitor_in_pretraining"]
    # Table 9 self-contained average: V-JEPA ViT-L 49.72 vs 58.75.
    assert best.loc["TAL THUMOS14 self-contained", "competitor_value"] == 49.72
    # Table 10 with every size: InternVideo2-s2 ViT-g, ActivityNet in its pretraining data.
    anet = best_competitor_per_task(tidy, competitors="all").set_index("task")
    assert anet.loc["TAL ANet self-contained", "competitor"] == "InternVideo2-s2 ViT-g"
    assert anet.loc["TAL ANet self-contained", "competitor_in_pretraining"]


def test_figures_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from repro.twlv.pipeline_diagram import draw_embedding_pipelines
    from repro.twlv.reported_figures import plot_best_competitor

    fig = draw_embedding_pipelines()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "[id]_c.npy" in texts and "[id]_v.npy" in texts and "Uniform" in texts
    plt.close(fig)
    data = pd.DataFrame(
        [{"task": "t", "table": "Table 3", "ours": 2.0, "competitor": "A ViT-L",
          "competitor_value": 1.0, "gap": 1.0, "competitor_in_pretraining": False}]
    )  # fmt: skip
    plt.close(plot_best_competitor(data, "title"))
