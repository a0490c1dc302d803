"""TWLV-I's printed numbers checked against themselves (paper-specific, not core).

Recomputes the printed ``Avg5`` of Tables 3 and 5 and the abstract's gains, and flags
rows whose cells look copied (the reference notes, ``shared/reference/twlv_i.md`` §3).
"""

from __future__ import annotations

import pandas as pd

from repro.core.reported import load_reported

#: The five action-recognition datasets averaged in TWLV-I Tables 3 and 5 ("Avg5").
TWLV_AVG_DATASETS = ("K400", "MiT", "SSv2", "DV48", "EK")
#: Printed numbers carry two decimals, so a recomputed mean may differ by rounding only.
ROUNDING_TOLERANCE = 0.0051
#: The abstract prints one decimal: agreement means within half a unit of it.
ABSTRACT_TOLERANCE = 0.05 + 1e-9


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
        ok = abs(float(claim.claimed_gain) - gain) <= ABSTRACT_TOLERANCE
        records.append(
            {
                "table": claim.source,
                "model": f"{claim.model} {claim.backbone}",
                "backbone": f"vs {claim.versus_model} {claim.versus_backbone}",
                "check": "gain in Table 3 Avg5 top1",
                "printed": float(claim.claimed_gain),
                "recomputed": round(gain, 4),
                "delta": round(float(claim.claimed_gain) - gain, 4),
                "status": "ok" if ok else "erratum",
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


def all_checks() -> pd.DataFrame:
    """Every consistency check of TWLV-I's printed numbers, ok or not."""
    df = load_reported("twlv_i.csv")
    claims = load_reported("twlv_i_abstract_claims.csv")
    return pd.concat(
        [
            check_twlv_averages(df),
            check_twlv_abstract_gains(df, claims),
            find_duplicated_cells(df, "Table 3"),
            find_duplicated_cells(df, "Table 5"),
        ],
        ignore_index=True,
    )


def twlv_errata() -> pd.DataFrame:
    """All consistency findings for TWLV-I that are not "ok", for the book's errata list."""
    checks = all_checks()
    return checks[checks["status"] != "ok"].reset_index(drop=True)
