"""TWLV-I's descriptive Tables 1, 2, 4, 7 and 8: read, check and lay out their transcription.

These tables hold settings and dataset sizes, not results, so their values are text as
printed ("658K", "~1284", "3x4", "variable"); the CSV is the item-keyed schema of
:mod:`repro.core.reported` (``paper, source, item_id, row, column, value, note``).
Table 4 (probing hyperparameters) is also what :mod:`repro.twlv.linear` and
:mod:`repro.twlv.attentive` encode as the paper protocol; :func:`probe_protocol_comparison`
puts the two side by side so that the page's equality column is computed, not typed.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from repro.core.reported import (
    CELL_COLUMNS,
    ReportedFileError,
    check_cells,
    load_cells,
)

SETUP_FILE = "twlv_i_setup.csv"
COLUMNS = CELL_COLUMNS
#: Tables in ``reported/twlv_i_setup.csv`` (results: ``twlv_i.csv``, ``twlv_i_localization.csv``).
SETUP_TABLES = (1, 2, 4, 7, 8)
#: Table 4 column for a setting printed once for every dataset.
ALL_DATASETS = "all datasets"
#: Table 4 dataset columns -> keys of the encoded protocols (``PAPER_LP``, ``PAPER_AP_EPOCHS``).
PROTOCOL_KEYS = {
    "K400": "K400",
    "MiT": "MiT",
    "SSv2": "SSv2",
    "DV48": "DV48",
    "EK": "EK",
    "IN-1K": "IN1K",
}
_SOURCE = re.compile(r"arXiv:2408\.11318v2 Table (\d+)")


def validate_setup(table: pd.DataFrame, name: str = SETUP_FILE) -> pd.DataFrame:
    """Check the schema and provenance of the descriptive-tables CSV; return it unchanged.

    Every row names its source (``arXiv:2408.11318v2 Table N``) and the matching item
    (``twlv_i.tableN``), N is one of :data:`SETUP_TABLES`, ``row``, ``column`` and
    ``value`` are non-empty, and no cell is given twice.

    Raises:
        ReportedFileError: one line naming the file, the CSV line and the field.
    """
    check_cells(table, name)
    for i, row in enumerate(table.itertuples(index=False), start=2):  # line 1 is the header
        where = f"{name}: line {i}"
        match = _SOURCE.fullmatch(str(row.source))
        if row.paper != "TWLV-I":
            raise ReportedFileError(f"{where}: field 'paper' is {row.paper!r}, expected 'TWLV-I'")
        if not match or int(match.group(1)) not in SETUP_TABLES:
            raise ReportedFileError(
                f"{where}: field 'source' is {row.source!r}, expected 'arXiv:2408.11318v2 "
                f"Table N' with N in {list(SETUP_TABLES)}"
            )
        if row.item_id != f"twlv_i.table{match.group(1)}":
            raise ReportedFileError(
                f"{where}: field 'item_id' is {row.item_id!r}, expected "
                f"'twlv_i.table{match.group(1)}' (from its source)"
            )
    return table


def load_setup() -> pd.DataFrame:
    """``reported/twlv_i_setup.csv``, validated, every value kept as printed text."""
    return load_cells(SETUP_FILE, validate_setup)


def setup_table(setup: pd.DataFrame, table: int) -> pd.DataFrame:
    """One descriptive table in the paper's layout, with the cells' notes in a last column.

    Args:
        setup: Rows of :func:`load_setup`.
        table: Table number, one of :data:`SETUP_TABLES`.

    Returns:
        A row per printed row (first column named after the table's row header), a
        column per printed column, empty text where the transcription has no value.
    """
    rows = setup[setup["item_id"] == f"twlv_i.table{table}"]
    if rows.empty:
        raise ValueError(f"table {table}: no rows in {SETUP_FILE}")
    wide = rows.pivot(index="row", columns="column", values="value")
    wide = wide.reindex(
        index=list(dict.fromkeys(rows["row"])), columns=list(dict.fromkeys(rows["column"]))
    ).fillna("")
    notes = rows[rows["note"] != ""].groupby("row", sort=False)["note"]
    wide["notes"] = notes.agg(lambda n: "; ".join(dict.fromkeys(n))).reindex(wide.index)
    wide["notes"] = wide["notes"].fillna("")
    wide.columns.name = None
    return wide.rename_axis("setting" if table in (4, 7, 8) else "dataset").reset_index()


def table4_value(setup: pd.DataFrame, setting: str, dataset: str) -> str | None:
    """A Table 4 cell for ``dataset``: its own column, else the value printed for all datasets."""
    rows = setup[(setup["item_id"] == "twlv_i.table4") & (setup["row"] == setting)]
    cells = dict(zip(rows["column"], rows["value"], strict=True))
    return cells.get(dataset, cells.get(ALL_DATASETS))


def probe_protocol_comparison(setup: pd.DataFrame) -> pd.DataFrame:
    """Table 4 as printed beside the protocols this project encodes, per probe and dataset.

    Ours come from :func:`repro.twlv.linear.paper_protocol` (linear, LP) and
    :func:`repro.twlv.attentive.attentive_protocol` (attentive, AP) with their defaults.

    Returns:
        Columns probe, dataset, setting, paper, ours (both as short text, ``"1e-05"``) and
        equal (computed on the numbers, relative tolerance 1e-9; False where the paper
        prints nothing).
    """
    from repro.twlv.attentive import attentive_protocol
    from repro.twlv.linear import paper_protocol

    records = []
    for probe, prefix, encoded in (
        ("linear", "LP", paper_protocol),
        ("attentive", "AP", attentive_protocol),
    ):
        for dataset, key in PROTOCOL_KEYS.items():
            protocol = encoded(key)
            ours = {
                "epochs": protocol.epochs,
                "learning rate": protocol.lrs[0],
                "batch": protocol.batch_size,
                "warm-up epochs": protocol.warmup_epochs,
                "weight decay": protocol.weight_decays[0],
            }
            for setting, value in ours.items():
                printed = table4_value(setup, f"{prefix} {setting}", dataset)
                paper = float(printed) if printed is not None else math.nan
                records.append(
                    {
                        "probe": probe,
                        "dataset": dataset,
                        "setting": setting,
                        "paper": "" if math.isnan(paper) else format(paper, "g"),
                        "ours": format(value, "g"),
                        "equal": bool(math.isclose(paper, float(value), rel_tol=1e-9)),
                    }
                )
    return pd.DataFrame.from_records(records)


def protocol_optimisers() -> dict[str, str]:
    """The optimiser each encoded probe protocol uses (Table 4 names none)."""
    from repro.twlv.attentive import attentive_protocol
    from repro.twlv.linear import paper_protocol

    return {
        "linear": paper_protocol("K400").optimizer,
        "attentive": attentive_protocol("K400").optimizer,
    }
