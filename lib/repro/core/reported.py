"""The papers' reported numbers (transcribed CSVs in ``reported/``) and their consistency checks.

Every CSV names its source (paper, table, row). Adding a transcribed table is a
CSV edit: the book renders whatever rows are present, and a table with no rows
shows as "reported values not transcribed".
"""

from __future__ import annotations

import pandas as pd

from repro.core.paths import repo_root

#: The five action-recognition datasets averaged in TWLV-I Tables 3 and 5 ("Avg5").
TWLV_AVG_DATASETS = ("K400", "MiT", "SSv2", "DV48", "EK")
#: Printed numbers carry two decimals, so a recomputed mean may differ by rounding only.
ROUNDING_TOLERANCE = 0.0051


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


def check_twlv_averages(df: pd.DataFrame) -> pd.DataFrame:
    """Recompute every printed Avg5 top-1 in TWLV-I Tables 3 and 5.

    Returns:
        One row per (table, model, backbone) with columns printed, recomputed,
        delta and status ("ok" within rounding, else "erratum").
    """
    records = []
    top1 = df[df["metric"] == "top1"]
    for (source, model, backbone), group in top1.groupby(
        ["source", "model", "backbone"], sort=False
    ):
        values = group.set_index("dataset")["value"]
        if "Avg5" not in values.index:
            continue
        recomputed = float(values.reindex(list(TWLV_AVG_DATASETS)).mean())
        printed = float(values["Avg5"])
        delta = printed - recomputed
        records.append(
            {
                "table": source,
                "model": model,
                "backbone": backbone,
                "check": "Avg5 top1 = mean of K400, MiT, SSv2, DV48, EK",
                "printed": printed,
                "recomputed": round(recomputed, 4),
                "delta": round(delta, 4),
                "status": "ok" if abs(delta) <= ROUNDING_TOLERANCE else "erratum",
            }
        )
    return pd.DataFrame.from_records(records)


def check_twlv_abstract_gains(df: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Recompute the abstract's percentage-point gains from Table 3's averages."""
    avg = df[(df["source"].str.endswith("Table 3")) & (df["dataset"] == "Avg5")]
    lookup = avg.set_index(["model", "backbone"])["value"]
    records = []
    for claim in claims.itertuples(index=False):
        gain = float(lookup[(claim.model, claim.backbone)]) - float(
            lookup[(claim.versus_model, claim.versus_backbone)]
        )
        # The abstract prints one decimal: agreement means within half a unit of it.
        ok = abs(float(claim.claimed_gain) - gain) <= 0.05 + 1e-9
        status = "ok" if ok else "erratum"
        records.append(
            {
                "table": claim.source,
                "model": f"{claim.model} {claim.backbone}",
                "backbone": f"vs {claim.versus_model} {claim.versus_backbone}",
                "check": "gain in Table 3 Avg5 top1",
                "printed": float(claim.claimed_gain),
                "recomputed": round(gain, 4),
                "delta": round(float(claim.claimed_gain) - gain, 4),
                "status": status,
            }
        )
    return pd.DataFrame.from_records(records)


def find_duplicated_cells(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rows of ``table`` where two datasets carry identical top-1 *and* top-5 values.

    Such coincidences (for example UMT ViT-B's SSv2 and DV48 in TWLV-I Table 3)
    are flagged as suspected copy errors; the printed averages still use them.
    """
    rows = df[df["source"].str.endswith(table) & (df["dataset"] != "Avg5")]
    records = []
    for (model, backbone), group in rows.groupby(["model", "backbone"], sort=False):
        pairs = group.pivot_table(index="dataset", columns="metric", values="value")
        if not {"top1", "top5"} <= set(pairs.columns):
            continue
        keys = list(pairs.itertuples(name=None))
        for i, (name_a, *vals_a) in enumerate(keys):
            for name_b, *vals_b in keys[i + 1 :]:
                if vals_a == vals_b:
                    records.append(
                        {
                            "table": table,
                            "model": model,
                            "backbone": backbone,
                            "check": f"{name_a} and {name_b} identical (top1 {vals_a[0]})",
                            "status": "suspected copy error",
                        }
                    )
    return pd.DataFrame.from_records(records)


def twlv_errata() -> pd.DataFrame:
    """All consistency findings for TWLV-I that are not "ok", for the book's errata list."""
    df = load_reported("twlv_i.csv")
    claims = load_reported("twlv_i_abstract_claims.csv")
    checks = pd.concat(
        [
            check_twlv_averages(df),
            check_twlv_abstract_gains(df, claims),
            find_duplicated_cells(df, "Table 3"),
            find_duplicated_cells(df, "Table 5"),
        ],
        ignore_index=True,
    )
    return checks[checks["status"] != "ok"].reset_index(drop=True)


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
