"""NASH items accounted for: Fig. 1, GLUE/SuperGLUE and other model sizes.

Expected cells are copied by hand from ``shared/reference/nash.md`` (section 1 for the
release's recipe and per-size facts, section 3 for Fig. 1's caption).
"""

from __future__ import annotations

import pandas as pd
import pytest

from repro.core.errors import InputError
from repro.core.reported import has_reported_values, paper_items
from repro.nash import reported_tables
from repro.nash.reported_tables import ReportedFileError, load_items, validate_items


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return load_items()


def _cell(items: pd.DataFrame, item: str, row: str, column: str) -> str:
    rows = items[(items["item_id"] == item) & (items["row"] == row) & (items["column"] == column)]
    assert len(rows) == 1, (item, row, column)
    return rows["value"].iat[0]


@pytest.mark.parametrize(
    ("item", "row", "column", "value"),
    [
        ("nash.fig1", "encoder", "pruning", "width"),
        ("nash.fig1", "decoder", "pruning", "depth"),
        ("nash.nlu", "teacher fine-tune (GLUE/SuperGLUE)", "batch", "16"),
        ("nash.nlu", "NASH pruning GLUE-low", "Lagrangian warm-up epochs", "80"),
        ("nash.nlu", "NASH pruning SuperGLUE-low", "epochs", "200"),
        (
            "nash.model_sizes",
            "T5-base (12 decoder layers)",
            "uniform layers kept at k=4",
            "0,3,7,11",
        ),
        (
            "nash.model_sizes",
            "T5-large (24 decoder layers)",
            "uniform layers kept at k=3",
            "0,11,23",
        ),
        (
            "nash.model_sizes",
            "T5-base (12 decoder layers)",
            "prunable encoder parameters",
            "84934656",
        ),
        ("nash.model_sizes", "BART", "teacher learning rate", "1e-5"),
    ],
)
def test_hand_checked_cells(items, item, row, column, value):
    assert _cell(items, item, row, column) == value


def test_only_fig1_cites_the_paper(items):
    paper = items[items["source"].map(reported_tables.is_paper_row)]
    assert set(paper["item_id"]) == {"nash.fig1"}
    release = items[~items["source"].map(reported_tables.is_paper_row)]
    assert (release["note"] != "").all()


def test_status_is_honest_for_items_without_paper_numbers():
    rows = paper_items().set_index("item_id")
    for item in ("nash.nlu", "nash.model_sizes"):
        # The slot stays where paper numbers would go, and it is empty: "not yet".
        assert rows.loc[item, "reported_source"] == "reported/nash.csv"
        assert not has_reported_values(item, rows.loc[item, "reported_source"])
    # Fig. 1 is a diagram: "reported only" comes from the drawing on reported_claims.
    assert rows.loc["nash.fig1", "reported_source"] == "not transcribed"
    assert "reported_claims" in rows.loc["nash.fig1", "notes"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("paper", "CR-ILD", "field 'paper'"),
        ("item_id", "nash.table9", "field 'item_id'"),
        ("source", "a blog", "field 'source'"),
        ("value", "", "field 'value' is empty"),
        ("note", "", "field 'note' is empty"),
    ],
)
def test_validation_names_file_line_and_field(items, field, value, message):
    bad = items.copy()
    row = int((bad["item_id"] == "nash.nlu").to_numpy().argmax())
    bad.loc[row, field] = value
    with pytest.raises(ReportedFileError, match=rf"nash_items.csv: line {row + 2}: {message}"):
        validate_items(bad)
    assert issubclass(ReportedFileError, InputError)


def test_duplicate_cell_is_rejected(items):
    with pytest.raises(ReportedFileError, match="given twice"):
        validate_items(pd.concat([items, items.iloc[[0]]], ignore_index=True))


def test_release_size_facts_match_our_computation(items):
    check = reported_tables.model_sizes_check(items)
    assert len(check) == 13  # 7 layer selections + 6 prunable counts; learning rates skipped
    assert check["equal"].all()


def test_overview_diagram_draws():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from repro.nash.overview_diagram import draw_overview

    fig = draw_overview()
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "0, 5, 11" in text and "heads [L, H]" in text
    plt.close(fig)
