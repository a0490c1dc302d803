"""The papers' reported numbers (transcribed CSVs in ``reported/``), paper-agnostic.

Every CSV names its source (paper, table, row). Adding a transcribed table is a
CSV edit: the book renders whatever rows are present, and a table with no rows
shows as "reported values not transcribed". Checks of one paper's printed numbers live
with that paper (e.g. :mod:`repro.twlv.errata`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from repro.core.errors import InputError
from repro.core.paths import repo_root

#: Columns of a transcribed-cells CSV (one printed cell per row, with provenance).
CELL_COLUMNS = ("paper", "source", "item_id", "row", "column", "value", "note")


class ReportedFileError(InputError):
    """A transcribed file breaks the schema (the message names file, line and field)."""


def reported_dir():
    """Folder holding the transcribed CSVs."""
    return repo_root() / "reported"


def load_reported(name: str) -> pd.DataFrame:
    """Read ``reported/<name>`` (for example ``"twlv_i.csv"``).

    Raises:
        FileNotFoundError: naming the file that is missing.
    """
    path = reported_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: reported-numbers file not found")
    return pd.read_csv(path)


def paper_items() -> pd.DataFrame:
    """Every table and figure of the three papers, with ids used by artifacts."""
    return load_reported("paper_items.csv")


def wide_table(df: pd.DataFrame, table: str, protocol: str | None = None) -> pd.DataFrame:
    """One paper table in the paper's layout: a row per (model, backbone), a column per cell.

    Args:
        df: Tidy rows with columns source, model, backbone, dataset, metric, value.
        table: Suffix of ``source``, e.g. ``"Table 3"``.
        protocol: Optional filter on the ``protocol`` column.
    """
    rows = df[df["source"].str.endswith(table)]
    if protocol is not None:
        rows = rows[rows["protocol"] == protocol]
    if rows["protocol"].nunique() > 1:
        # Table 6 style: one protocol per column group (kNN uniform / clip / video).
        label = rows["dataset"] + " " + rows["protocol"].str.split("_").str[-1]
    else:
        label = rows["dataset"] + " " + rows["metric"]
    rows = rows.assign(column=label)
    order = list(dict.fromkeys(rows["column"]))
    models = list(dict.fromkeys(zip(rows["model"], rows["backbone"], strict=True)))
    wide = rows.pivot_table(index=["model", "backbone"], columns="column", values="value")
    wide = wide.reindex(index=pd.MultiIndex.from_tuples(models), columns=order)
    wide.index.names = ["model", "backbone"]
    wide.columns.name = None
    return wide.reset_index()


def transcribed(item_id: str, source: str) -> pd.DataFrame:
    """Rows transcribed for one paper item from a tidy ``item_id``-keyed CSV.

    ``source`` is the item's ``reported_source`` in ``paper_items.csv`` (for
    example ``"reported/nash.csv"``). Returns an empty frame when the CSV has no
    rows for the item yet (the book then shows the empty slot).
    """
    if source == "not transcribed":
        return pd.DataFrame()
    table = load_reported(source.removeprefix("reported/"))
    if "item_id" not in table.columns:
        return table
    return table[table["item_id"] == item_id].reset_index(drop=True)


def has_reported_values(item_id: str, source: str) -> bool:
    """Whether any value of the item is transcribed (decides the "reported only" tier)."""
    return not transcribed(item_id, source).empty


def slot_table(paper: str) -> pd.DataFrame:
    """Every item of ``paper`` with how many values are transcribed and where to add them.

    Adding a table is a CSV edit: append rows with columns
    ``paper, source, item_id, row, column, value, note`` to the item's source file.
    """
    items = paper_items()
    items = items[items["paper"] == paper]
    records = []
    for item in items.itertuples(index=False):
        rows = transcribed(item.item_id, item.reported_source)
        state = (
            f"{len(rows)} values transcribed" if len(rows) else "reported values not transcribed"
        )
        records.append(
            {
                "item": item.item_id,
                "kind": item.kind,
                "title": item.title,
                "reported": state,
                "source": item.reported_source
                if item.reported_source != "not transcribed"
                else "-",
            }
        )
    return pd.DataFrame.from_records(records)


def transcribed_wide(item_id: str, source: str) -> pd.DataFrame:
    """An ``item_id``-keyed table in the paper's layout (row labels x column labels)."""
    rows = transcribed(item_id, source)
    if rows.empty or "row" not in rows.columns:
        return rows
    order_rows = list(dict.fromkeys(rows["row"]))
    order_cols = list(dict.fromkeys(rows["column"]))
    wide = rows.pivot_table(index="row", columns="column", values="value", aggfunc="first")
    wide = wide.reindex(index=order_rows, columns=order_cols)
    wide.columns.name = None
    return wide.reset_index()


def is_blank(value: object) -> bool:
    """Whether a CSV field is empty (None, NaN or the empty string)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == ""


def check_cells(table: pd.DataFrame, name: str) -> None:
    """Check what every transcribed-cells CSV needs: its columns, non-empty ``row``,
    ``column`` and ``value`` on every line, and no cell given twice.

    Raises:
        ReportedFileError: one line naming the file, the CSV line and the field.
    """
    if tuple(table.columns) != CELL_COLUMNS:
        raise ReportedFileError(
            f"{name}: columns {list(table.columns)}, expected {list(CELL_COLUMNS)}"
        )
    for i, row in enumerate(table.itertuples(index=False), start=2):  # line 1 is the header
        for field in ("row", "column", "value"):
            if is_blank(getattr(row, field)):
                raise ReportedFileError(f"{name}: line {i}: field {field!r} is empty")
    duplicated = table.duplicated(["item_id", "row", "column"])
    if duplicated.any():
        i = int(duplicated.to_numpy().argmax())
        raise ReportedFileError(
            f"{name}: line {i + 2}: cell ({table['row'].iat[i]!r}, {table['column'].iat[i]!r}) "
            f"of {table['item_id'].iat[i]} is given twice"
        )


def load_cells(
    filename: str, validate: Callable[[pd.DataFrame, str], pd.DataFrame]
) -> pd.DataFrame:
    """``reported/<filename>`` read with every value kept as printed text, then validated."""
    path = reported_dir() / filename
    if not path.is_file():
        raise ReportedFileError(f"{path}: reported-numbers file not found")
    return validate(pd.read_csv(path, dtype=str, keep_default_na=False), path.name)
