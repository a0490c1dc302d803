"""Generated book pages: the reproduction status of every paper item, and performance.

The status page has one row per table and figure of the three papers: the strongest
tier at which this build shows it, the pages showing it, the paper-vs-ours delta where a
table has both, and the verdicts of the pre-registered claims about it (the
``verdicts.csv`` artifacts written by ``Run.save_verdicts``). Under each paper, a claims
table lists every claim with its estimate, interval, seeds and verdict.

A run of the ``rehearsal`` profile executes the paper-tier code path on stand-in data in
the published formats: what it labels "paper" is counted as its own tier,
*rehearsal*, and never as a paper-tier result, and it gets no paper-vs-ours delta.
"""

from __future__ import annotations

import json
import math
from collections import Counter
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
    "rehearsal": "paper path rehearsed on stand-in data",
    "reported": "reported only",
    None: "not yet",
}
TIER_ORDER = ("paper", "mechanism", "rehearsal", "reported")
#: The profile whose "paper"-tier outputs come from stand-in data (issue 10).
REHEARSAL_PROFILE = "rehearsal"
#: Shown at the top of every page of a rehearsal build.
REHEARSAL_BANNER = (
    "```{warning}\nThis page comes from a **rehearsal** build: the paper-tier code ran on tiny "
    "stand-in files in the published formats (`repro data rehearse`). Its numbers and verdicts "
    "show that the path works; they are not the paper's results and not ours.\n```\n"
)
VERDICT_ARTIFACT = "verdicts"


def artifact_tier(meta: dict[str, Any]) -> str:
    """The tier an artifact counts for: a rehearsal's "paper" output is a *rehearsal*."""
    tier = meta.get("tier")
    if tier == "paper" and meta.get("profile") == REHEARSAL_PROFILE:
        return "rehearsal"
    return tier


def best_tier(tiers: Iterable[str], rehearsal_first: bool = False) -> str | None:
    """The strongest tier among an item's artifacts.

    A rehearsal build exists to show which paper paths ran, so there the rehearsed paper
    path outranks an offline mechanism result of the same item.
    """
    present = set(tiers)
    order = ("rehearsal", *[t for t in TIER_ORDER if t != "rehearsal"])
    return next((t for t in (order if rehearsal_first else TIER_ORDER) if t in present), None)


def verdict_rows(metas: list[dict[str, Any]]) -> pd.DataFrame:
    """Every row of every ``verdicts.csv`` artifact, with its notebook and effective tier."""
    frames = []
    for meta in metas:
        columns = set(meta.get("columns", []))
        if meta.get("kind") != "table" or not {"paper_item", "claim", "verdict"} <= columns:
            continue
        table = pd.read_csv(Path(meta["_dir"]) / meta["files"][0])
        table["notebook"] = meta["notebook"]
        table["tier"] = artifact_tier(meta)
        frames.append(table)
    columns = ["paper_item", "claim", "estimate", "ci_low", "ci_high", "n_seeds", "verdict"]
    if not frames:
        return pd.DataFrame(columns=[*columns, "control", "notebook", "tier"])
    return pd.concat(frames, ignore_index=True)


def verdict_summary(rows: pd.DataFrame, tier: str | None) -> str:
    """``"reproduced"``, or ``"2 reproduced, 1 inconclusive"``, for one item's claims.

    Claims tested at the item's own tier count; a rehearsal's verdicts say so.
    """
    if rows.empty:
        return ""
    same = rows[rows["tier"] == tier]
    rows = same if not same.empty else rows
    counts = Counter(rows["verdict"])
    text = (
        next(iter(counts))
        if len(counts) == 1
        else ", ".join(f"{n} {word}" for word, n in sorted(counts.items()))
    )
    if set(rows["tier"]) == {"rehearsal"}:
        text += " (rehearsal, stand-in data)"
    return text


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


def status_rows(
    metas: list[dict[str, Any]], items: pd.DataFrame, rehearsal_first: bool = False
) -> pd.DataFrame:
    """One row per paper item: tier, pages showing it, paper-vs-ours delta, claim verdicts."""
    verdicts = verdict_rows(metas)
    rows = []
    for item in items.itertuples(index=False):
        mine = [m for m in metas if item.item_id in m.get("paper_items", [])]
        tier = best_tier((artifact_tier(m) for m in mine), rehearsal_first)
        if tier is None and has_reported_values(item.item_id, item.reported_source):
            tier = "reported"  # transcribed in reported/ but no page renders it yet
        # Stand-in data gives no number to hold against the paper's.
        deltas = [
            c for c in (comparison(m) for m in mine if artifact_tier(m) == tier != "rehearsal") if c
        ]
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
                "verdict": verdict_summary(verdicts[verdicts["paper_item"] == item.item_id], tier),
                "notes": ""
                if isinstance(item.notes, float) and math.isnan(item.notes)
                else item.notes,
            }
        )
    return pd.DataFrame(rows)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _link(notebook: str) -> str:
    """A short link to a notebook's page: its name, not its (long) title."""
    return f"{{doc}}`{notebook.split('/')[-1]} <{notebook}>`"


def _number(value: Any) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(x) else f"{x:+.3g}"


def claims_table(verdicts: pd.DataFrame) -> list[str]:
    """Markdown lines: one row per pre-registered claim, with its estimate and verdict."""
    if verdicts.empty:
        return ["No claims have been tested in this build.", ""]
    lines = [
        "| item | claim | estimate | 95 % interval | seeds | verdict | tier | page |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in verdicts.itertuples(index=False):
        control = " *(positive control)*" if str(getattr(row, "control", "")) == "True" else ""
        interval = (
            "–"
            if _number(row.ci_low) == "–"
            else f"[{_number(row.ci_low)}, {_number(row.ci_high)}]"
        )
        lines.append(
            f"| {_cell(row.paper_item)} | {_cell(row.claim)}{control} | {_number(row.estimate)} "
            f"| {interval} | {row.n_seeds} | **{row.verdict}** | {row.tier} "
            f"| {_link(row.notebook)} |"
        )
    return [*lines, ""]


def status_page(profile: Profile, layout: Layout, root: Path) -> str:
    """Markdown for the reproduction-status page."""
    metas = read_artifact_metadata(layout.artifacts())
    items = paper_items()
    table = status_rows(metas, items, rehearsal_first=profile.name == REHEARSAL_PROFILE)
    verdicts = verdict_rows(metas)
    paper_of = dict(zip(items["item_id"], items["paper"], strict=True))
    verdicts["paper"] = verdicts["paper_item"].map(paper_of)
    counts = table["tier"].value_counts()
    lines = [
        "# Reproduction status",
        "",
        *([REHEARSAL_BANNER] if profile.name == REHEARSAL_PROFILE else []),
        f"Generated from the artifacts of profile **{profile.name}** ({profile.description}). "
        "Each table and figure of the three papers is listed with the strongest tier at which "
        "this build shows it:",
        "",
        "- *reproduced at paper tier*: our code on the real data and checkpoints;",
        "- *mechanism reproduced offline*: the paper's mechanism on data or models this "
        "project generates (synthetic videos, synthetic text tasks, random weights, MiniLM) - "
        "not the paper's numbers;",
        "- *paper path rehearsed on stand-in data*: the paper-tier code run end to end on tiny "
        "stand-in files in the published formats (`repro data rehearse`) - it shows the path "
        "works, its numbers mean nothing;",
        "- *reported only*: the paper's numbers are transcribed and rendered, not recomputed;",
        "- *not yet*: neither.",
        "",
        "Where a table puts our number beside the paper's, *paper vs ours* gives the delta "
        "(ours minus paper). *Verdicts* summarises the pre-registered claims about the item: "
        "*reproduced* or *contradicted* when the 95 % interval over seeds lies on one side of "
        "the claim's threshold, *inconclusive* otherwise (always with a single seed). Each "
        "paper's claims are listed after its items.",
        "",
        "Totals: " + ", ".join(f"{tier}: {counts.get(tier, 0)}" for tier in TIER_LABELS.values()),
        "",
    ]
    for paper, group in table.groupby("paper", sort=False):
        lines += [f"## {paper}", ""]
        lines += ["| item | title | tier | shown on | paper vs ours | verdicts | notes |"]
        lines += ["|---|---|---|---|---|---|---|"]
        for row in group.itertuples(index=False):
            pages = ", ".join(_link(p) for p in row.pages) or "-"
            lines.append(
                f"| {_cell(row.item)} | {_cell(row.title)} | {row.tier} | {pages} | "
                f"{_cell(row.comparison)} | {_cell(row.verdict)} | {_cell(row.notes)} |"
            )
        lines += ["", f"### {paper}: claims", ""]
        lines += claims_table(verdicts[verdicts["paper"] == paper])
    unmatched = verdicts[verdicts["paper"].isna()]
    if not unmatched.empty:  # a claim naming an item that paper_items.csv does not list
        lines += ["## Claims about items not in `reported/paper_items.csv`", ""]
        lines += claims_table(unmatched)
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
        "`python benchmarks/<name>.py` (`--help` lists each script's smaller sizes; the peers "
        "install with `pip install -r requirements-benchmarks.txt`).",
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
        if meta.get("amended"):  # a correction made after the run, stated rather than hidden
            lines += [f"Amended after the run: {meta['amended']}", ""]
        device = meta.get("device", {})
        if device:
            lines += [
                f"Measured on {device.get('cpu', '?')} ({device.get('cpu_count', '?')} cores, "
                f"torch threads {device.get('torch_threads', '?')}"
                + (f", GPU {device['gpu']}" if device.get("gpu") else "")
                + f"), {meta.get('created_utc', '')}.",
                "",
            ]
        lines += [_benchmark_markdown(table), ""]
    return "\n".join(lines)


def _benchmark_markdown(table: pd.DataFrame) -> str:
    """A results table as markdown: six significant digits (a top-1 such as 52.725 whole),
    yes / no for true / false, and empty cells where a row has no value."""
    shown = table.astype(object).map(
        lambda v: {True: "yes", False: "no"}.get(v, v) if isinstance(v, bool) else v
    )
    return shown.where(table.notna(), "").to_markdown(index=False, floatfmt=".6g")
