"""NASH Fig. 1, the GLUE/SuperGLUE table and the other-model-sizes table: what we hold of them.

The reference notes cover the paper's front matter only, so no number of the paper's
GLUE/SuperGLUE table (``nash.nlu``) or of its other-sizes table (``nash.model_sizes``) is
available. ``reported/nash_items.csv`` (the item-keyed schema of :mod:`repro.core.reported`)
holds two kinds of rows, told apart by ``source``:

* the paper (``arXiv:2310.10054 ...``): the facts of Fig. 1's caption (the name and which
  stack is pruned how), the only paper content the notes give for these items;
* the release (``jongwooko/NASH-Pruning-Official <file> at ba3a4f6``): the recipe its scripts
  use for GLUE/SuperGLUE and the per-size facts derived from its code. These are context,
  never the paper's results, so ``paper_items.csv`` keeps ``nash.nlu`` and
  ``nash.model_sizes`` pointing at their (empty) slot in ``reported/nash.csv``, the status
  page counts them "not yet", and the page shows these rows without tagging the items.
"""

from __future__ import annotations

import re

import pandas as pd

from repro.core.reported import (
    CELL_COLUMNS,
    ReportedFileError,
    check_cells,
    is_blank,
    load_cells,
)

ITEMS_FILE = "nash_items.csv"
COLUMNS = CELL_COLUMNS
ITEMS = ("nash.fig1", "nash.nlu", "nash.model_sizes")
_PAPER_SOURCE = re.compile(r"arXiv:2310\.10054 .+")
_RELEASE_SOURCE = re.compile(r"jongwooko/NASH-Pruning-Official \S+ at ba3a4f6")
#: Decoder depth L of each size named in the CSV's model_sizes rows.
_DEPTH = re.compile(r"\((\d+) decoder layers\)")
_ARCH = {"T5-small": "t5-small", "T5-base": "t5-base", "T5-large": "t5-large"}


def validate_items(table: pd.DataFrame, name: str = ITEMS_FILE) -> pd.DataFrame:
    """Check schema and provenance of ``nash_items.csv``; return it unchanged.

    Every row is NASH's, names one of :data:`ITEMS`, cites the paper or the release at
    commit ba3a4f6, has non-empty ``row``, ``column`` and ``value``, and no cell repeats.
    Release rows must carry a note (what they are instead of a paper number).

    Raises:
        ReportedFileError: one line naming the file, the CSV line and the field.
    """
    check_cells(table, name)
    for i, row in enumerate(table.itertuples(index=False), start=2):  # line 1 is the header
        where = f"{name}: line {i}"
        if row.paper != "NASH":
            raise ReportedFileError(f"{where}: field 'paper' is {row.paper!r}, expected 'NASH'")
        if row.item_id not in ITEMS:
            raise ReportedFileError(
                f"{where}: field 'item_id' is {row.item_id!r}, expected one of {list(ITEMS)}"
            )
        source = str(row.source)
        release = _RELEASE_SOURCE.fullmatch(source)
        if not (release or _PAPER_SOURCE.fullmatch(source)):
            raise ReportedFileError(
                f"{where}: field 'source' is {source!r}, expected 'arXiv:2310.10054 ...' or "
                "'jongwooko/NASH-Pruning-Official <file> at ba3a4f6'"
            )
        if release and is_blank(row.note):
            raise ReportedFileError(
                f"{where}: field 'note' is empty (release rows say what they are)"
            )
    return table


def load_items() -> pd.DataFrame:
    """``reported/nash_items.csv``, validated, every value kept as text."""
    return load_cells(ITEMS_FILE, validate_items)


def is_paper_row(source: str) -> bool:
    """Whether a row cites the paper (rather than the release)."""
    return bool(_PAPER_SOURCE.fullmatch(source))


def item_table(items: pd.DataFrame, item_id: str) -> pd.DataFrame:
    """One item's rows as a long table: row, column, value, source, note."""
    rows = items[items["item_id"] == item_id]
    if rows.empty:
        raise ValueError(f"{item_id}: no rows in {ITEMS_FILE}")
    return rows[["row", "column", "value", "source", "note"]].reset_index(drop=True)


def model_sizes_check(items: pd.DataFrame) -> pd.DataFrame:
    """The release-derived per-size facts beside what this project computes.

    Uniform layer selections come from :func:`repro.nash.layers.select_decoder_layers`;
    exact prunable counts (those written without a unit) from
    :func:`repro.nash.sparsity.encoder_prunable` / ``decoder_prunable`` on the real shapes.

    Returns:
        Columns model, setting, release, ours, equal (computed; rounded counts such as
        "18.87M" are compared at the precision written).
    """
    from repro.nash.arch import t5_config
    from repro.nash.layers import select_decoder_layers
    from repro.nash.sparsity import decoder_prunable, encoder_prunable

    records = []
    rows = items[items["item_id"] == "nash.model_sizes"]
    for row in rows.itertuples(index=False):
        name = row.row.split(" (")[0]
        depth = _DEPTH.search(row.row)
        if name not in _ARCH or depth is None:
            continue  # recipe rows (learning rates) have nothing to compute
        config = t5_config(_ARCH[name])
        if row.column.startswith("uniform layers kept at k="):
            k = int(row.column.rsplit("=", 1)[1])
            ours = ",".join(map(str, select_decoder_layers(int(depth.group(1)), k)))
            equal = ours == row.value
        else:
            count = (
                encoder_prunable(config) if "encoder" in row.column else decoder_prunable(config)
            )
            ours, equal = _compare_count(row.value, count)
        records.append(
            {
                "model": row.row,
                "setting": row.column,
                "release": row.value,
                "ours": ours,
                "equal": equal,
            }
        )
    return pd.DataFrame.from_records(records)


def _compare_count(written: str, count: int) -> tuple[str, bool]:
    """``count`` shown like ``written`` (exact, or millions at its decimals) and equality."""
    if not written.endswith("M"):
        return str(count), int(written) == count
    decimals = len(written[:-1].partition(".")[2])
    ours = f"{count / 1e6:.{decimals}f}M"
    return ours, ours == written
