"""Generated book pages: the reproduction status of every paper item, and performance."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from repro.core.artifacts import read_artifact_metadata
from repro.core.reported import has_reported_values, paper_items
from repro.pipeline.layout import Layout
from repro.pipeline.profiles import Profile

TIER_LABELS = {
    "paper": "reproduced at paper tier",
    "mechanism": "mechanism reproduced offline",
    "reported": "reported only",
    None: "not yet",
}
TIER_ORDER = ("paper", "mechanism", "reported")


def best_tier(tiers: Iterable[str]) -> str | None:
    """The strongest tier among an item's artifacts."""
    present = set(tiers)
    return next((t for t in TIER_ORDER if t in present), None)


def comparison(meta: dict[str, Any]) -> dict[str, float] | None:
    """Mean and largest absolute (reproduced - reported) over a table's comparable rows."""
    if meta.get("kind") != "table" or not {"reported", "reproduced"} <= set(
        meta.get("columns", [])
    ):
        return None
    table = pd.read_csv(Path(meta["_dir"]) / meta["files"][0])
    both = table[["reported", "reproduced"]].apply(pd.to_numeric, errors="coerce").dropna()
    if both.empty:
        return None
    delta = both["reproduced"] - both["reported"]
    return {"n": len(both), "mean_delta": float(delta.mean()), "max_abs": float(delta.abs().max())}


def status_rows(metas: list[dict[str, Any]], items: pd.DataFrame) -> pd.DataFrame:
    """One row per paper item: tier, the notebooks showing it, and the paper-vs-ours delta."""
    rows = []
    for item in items.itertuples(index=False):
        mine = [m for m in metas if item.item_id in m.get("paper_items", [])]
        tier = best_tier(m["tier"] for m in mine)
        if tier is None and has_reported_values(item.item_id, item.reported_source):
            tier = "reported"  # transcribed in reported/ but no page renders it yet
        deltas = [c for c in (comparison(m) for m in mine if m["tier"] == tier) if c]
        delta_text = ""
        if deltas:
            n = sum(d["n"] for d in deltas)
            worst = max(d["max_abs"] for d in deltas)
            mean = sum(d["mean_delta"] * d["n"] for d in deltas) / n
            delta_text = f"{n} values; mean Δ {mean:+.2f}, max |Δ| {worst:.2f}"
        pages = sorted({m["notebook"] for m in mine})
        rows.append(
            {
                "paper": item.paper,
                "item": item.item_id,
                "kind": item.kind,
                "title": item.title,
                "tier": TIER_LABELS[tier],
                "pages": pages,
                "comparison": delta_text,
                "notes": ""
                if isinstance(item.notes, float) and math.isnan(item.notes)
                else item.notes,
            }
        )
    return pd.DataFrame(rows)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def status_page(profile: Profile, layout: Layout, root: Path) -> str:
    """Markdown for the reproduction-status page."""
    metas = read_artifact_metadata(layout.artifacts())
    table = status_rows(metas, paper_items())
    counts = table["tier"].value_counts()
    lines = [
        "# Reproduction status",
        "",
        f"Generated from the artifacts of profile **{profile.name}** ({profile.description}). "
        "Each table and figure of the three papers is listed with the strongest tier at which "
        "this build shows it:",
        "",
        "- *reproduced at paper tier*: our code on the real data and checkpoints;",
        "- *mechanism reproduced offline*: the paper's mechanism on data or models this "
        "project generates (synthetic videos, synthetic text tasks, random weights, MiniLM) - "
        "not the paper's numbers;",
        "- *reported only*: the paper's numbers are transcribed and rendered, not recomputed;",
        "- *not yet*: neither.",
        "",
        "Where a table puts our number beside the paper's, the last column gives the delta "
        "(ours minus paper).",
        "",
        "Totals: " + ", ".join(f"{tier}: {counts.get(tier, 0)}" for tier in TIER_LABELS.values()),
        "",
    ]
    for paper, group in table.groupby("paper", sort=False):
        lines += [f"## {paper}", "", "| item | title | tier | shown on | paper vs ours | notes |"]
        lines += ["|---|---|---|---|---|---|"]
        for row in group.itertuples(index=False):
            pages = ", ".join(f"{{doc}}`{p}`" for p in row.pages) or "-"
            lines.append(
                f"| {_cell(row.item)} | {_cell(row.title)} | {row.tier} | {pages} | "
                f"{_cell(row.comparison)} | {_cell(row.notes)} |"
            )
        lines.append("")
    return "\n".join(lines)


def performance_page(root: Path) -> str:
    """Markdown rendering every benchmark result in ``benchmarks/results``."""
    results = root / "benchmarks" / "results"
    lines = [
        "# Performance",
        "",
        "Speed and memory targets are measured by the scripts in `benchmarks/`, never by "
        "timed tests. Each compares our implementation with a peer measured in the same "
        "run, on the same machine and inputs, and reports the ratio; absolute times are "
        "only meaningful with the device they were measured on. Re-run with "
        "`python benchmarks/<name>.py` (add `--quick` for small sizes).",
        "",
    ]
    csvs = sorted(results.glob("*.csv")) if results.is_dir() else []
    if not csvs:
        lines.append("No benchmark results have been recorded yet.")
    for csv in csvs:
        meta_path = csv.with_suffix(".json")
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        table = pd.read_csv(csv)
        lines += [f"## {meta.get('title', csv.stem)}", ""]
        if meta.get("description"):
            lines += [meta["description"], ""]
        device = meta.get("device", {})
        if device:
            lines += [
                f"Measured on {device.get('cpu', '?')} ({device.get('cpu_count', '?')} cores, "
                f"torch threads {device.get('torch_threads', '?')}"
                + (f", GPU {device['gpu']}" if device.get("gpu") else "")
                + f"), {meta.get('created_utc', '')}.",
                "",
            ]
        lines += [table.to_markdown(index=False, floatfmt=".3g"), ""]
    return "\n".join(lines)
