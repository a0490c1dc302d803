"""Tidy artifacts: each table a CSV and each figure a PNG/SVG, with JSON metadata.

A notebook calls :func:`start_run` once, then ``save_table`` / ``save_figure``
for every table and figure it shows. Files are written atomically, so a killed
run never leaves a half-written artifact. The pipeline points
``REPRO_ARTIFACT_DIR`` at a staging folder and publishes it only when the
notebook succeeds; run interactively, artifacts go to
``build/interactive/<notebook id>/``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from repro.core.atomic import atomic_write_text, atomic_write_with
from repro.core.env import device_info, git_commit, package_versions
from repro.core.paths import build_root

ARTIFACT_DIR_ENV = "REPRO_ARTIFACT_DIR"
PROFILE_ENV = "REPRO_PROFILE"
#: Allowed tiers, strongest first. "reported" re-renders the paper's own numbers;
#: "rehearsal" is the paper path run on tiny stand-in data (its numbers mean nothing).
TIERS = ("paper", "mechanism", "reported", "rehearsal")
RUN_FILE = "run.json"


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars, paths and tuples so that ``json.dumps`` accepts them."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def dumps(obj: Any) -> str:
    """Stable JSON text (sorted keys, indented) used for every metadata file."""
    return json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n"


@dataclass
class Run:
    """One notebook execution that writes artifacts into ``out_dir``."""

    notebook: str
    params: dict[str, Any]
    seeds: list[int]
    out_dir: Path
    profile: str
    started: float = field(default_factory=time.perf_counter)
    artifacts: list[str] = field(default_factory=list)
    shown: dict[str, int] = field(default_factory=lambda: {"table": 0, "figure": 0})

    def _metadata(self, name: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "artifact": name,
            "kind": kind,
            "notebook": self.notebook,
            "profile": self.profile,
            "parameters": self.params,
            "seeds": self.seeds,
            "git_commit": git_commit(),
            "versions": package_versions(),
            "device": device_info(),
            "wall_time_s": round(time.perf_counter() - self.started, 3),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            **extra,
        }

    def _describe(self, caption: str, tier: str, paper_items: Sequence[str]) -> dict[str, Any]:
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}, got {tier!r}")
        if not caption:
            raise ValueError("every artifact needs a caption that states its tier")
        return {"caption": caption, "tier": tier, "paper_items": list(paper_items)}

    def save_table(
        self,
        df: Any,
        name: str,
        *,
        caption: str,
        tier: str,
        paper_items: Sequence[str] = (),
    ) -> Path:
        """Write ``df`` to ``<name>.csv`` and its metadata to ``<name>.json``."""
        described = self._describe(caption, tier, paper_items)
        path = self.out_dir / f"{name}.csv"
        atomic_write_text(path, df.to_csv(index=False, lineterminator="\n"))
        meta = self._metadata(name, "table", files=[path.name], columns=list(df.columns))
        atomic_write_text(self.out_dir / f"{name}.json", dumps({**meta, **described}))
        self.artifacts.append(name)
        return path

    def save_figure(
        self,
        fig: Any,
        name: str,
        *,
        caption: str,
        tier: str,
        paper_items: Sequence[str] = (),
        svg: bool = False,
    ) -> Path:
        """Write ``fig`` to ``<name>.png`` (and ``.svg``) and metadata to ``<name>.json``."""
        import matplotlib

        described = self._describe(caption, tier, paper_items)
        files = []
        formats = ("png", "svg") if svg else ("png",)
        for fmt in formats:
            target = self.out_dir / f"{name}.{fmt}"
            # No timestamps in the files, so equal figures give equal bytes.
            stamp = {"Date": None} if fmt == "svg" else {"Software": None}
            # A fixed salt makes SVG element ids, and so the bytes, reproducible.
            with matplotlib.rc_context({"svg.hashsalt": "repro"}):
                atomic_write_with(
                    target,
                    lambda tmp, fmt=fmt, stamp=stamp: fig.savefig(
                        tmp, format=fmt, dpi=150, bbox_inches="tight", metadata=stamp
                    ),
                )
            files.append(target.name)
        meta = self._metadata(name, "figure", files=files)
        atomic_write_text(self.out_dir / f"{name}.json", dumps({**meta, **described}))
        self.artifacts.append(name)
        return self.out_dir / files[0]

    def show_table(
        self,
        df: Any,
        name: str,
        *,
        caption: str,
        tier: str,
        paper_items: Sequence[str] = (),
        decimals: int | None = None,
    ) -> Path:
        """Save ``df`` as :meth:`save_table` and show it numbered and captioned on the page."""
        from repro.core.page import show_html, table_html

        path = self.save_table(df, name, caption=caption, tier=tier, paper_items=paper_items)
        self.shown["table"] += 1
        show_html(table_html(df, self.shown["table"], caption, decimals))
        return path

    def show_figure(
        self,
        fig: Any,
        name: str,
        *,
        caption: str,
        tier: str,
        paper_items: Sequence[str] = (),
        svg: bool = False,
    ) -> Path:
        """Save ``fig`` as :meth:`save_figure`, show it in a captioned ``<figure>``, close it."""
        import matplotlib.pyplot as plt

        from repro.core.page import figure_html, show_html

        path = self.save_figure(
            fig, name, caption=caption, tier=tier, paper_items=paper_items, svg=svg
        )
        self.shown["figure"] += 1
        show_html(figure_html(fig, self.shown["figure"], caption))
        plt.close(fig)
        return path

    def save_verdicts(
        self, rows: Sequence[Mapping[str, Any]], *, tier: str, show: bool = True
    ) -> Any:
        """Write ``verdicts.csv`` (one row per pre-registered claim) and glue each verdict.

        ``rows`` come from :func:`repro.core.claims.evaluate`. For a claim with key ``k``
        the prose can paste ``{glue:md}`k_verdict``` (the word), ``{glue:md}`k_sentence```
        (verdict, estimate, interval, seeds) and ``{glue:text}`k_estimate:.2f```.
        """
        from repro.core.claims import describe, verdict_table
        from repro.core.page import glue

        table = verdict_table(rows)
        table.insert(len(table.columns), "tier", tier)
        caption = "Pre-registered claims and their verdicts (95 % interval over paired seeds)."
        items = sorted(set(table["paper_item"]))
        self.save_table(table, "verdicts", caption=caption, tier=tier, paper_items=items)
        if show:
            from repro.core.page import show_html, table_html

            shown_cols = ["paper_item", "claim", "quantity", "estimate", "ci_low", "ci_high"]
            self.shown["table"] += 1
            view = table[[*shown_cols, "n_seeds", "verdict"]]
            show_html(table_html(view, self.shown["table"], caption, decimals=3))
        for row in table.to_dict("records"):
            glue(f"{row['key']}_verdict", f"**{row['verdict']}**")
            glue(f"{row['key']}_sentence", describe(row))
            glue(f"{row['key']}_estimate", float(row["estimate"]))
        return table

    def save_json(self, obj: Any, name: str) -> Path:
        """Write an auxiliary JSON document ``<name>.json`` (not listed as a table or figure)."""
        return atomic_write_text(self.out_dir / f"{name}.json", dumps(obj))

    def finish(self) -> Path:
        """Record the run's wall time and artifact list in ``run.json``."""
        meta = self._metadata("run", "run", artifacts=self.artifacts)
        return atomic_write_text(self.out_dir / RUN_FILE, dumps(meta))


def start_run(
    notebook: str,
    params: Mapping[str, Any],
    seeds: Sequence[int] = (),
    out_dir: str | os.PathLike[str] | None = None,
) -> Run:
    """Begin a run for ``notebook`` (an id such as ``"twlv_i/reported_tables"``).

    The folder is ``out_dir`` if given, else ``$REPRO_ARTIFACT_DIR`` (set by the
    pipeline), else ``build/interactive/<notebook>``.
    """
    if out_dir is None:
        env_dir = os.environ.get(ARTIFACT_DIR_ENV)
        out_dir = env_dir if env_dir else build_root() / "interactive" / notebook
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return Run(
        notebook=notebook,
        params=dict(params),
        seeds=[int(s) for s in seeds],
        out_dir=folder,
        profile=os.environ.get(PROFILE_ENV, "interactive"),
    )


def read_artifact_metadata(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Metadata of every table and figure under ``folder`` (recursively), sorted by path."""
    found = []
    for meta_path in sorted(Path(folder).rglob("*.json")):
        if meta_path.name == RUN_FILE:
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(meta, dict) and meta.get("kind") in {"table", "figure"}:
            meta["_dir"] = str(meta_path.parent)
            found.append(meta)
    return found
