"""Determinism: the smoke profile run twice gives the same CSV artifacts.

Every table must be byte-identical, with two documented exceptions:

- wall-clock measurements (latency in ms, speedups: columns, long-format ``metric``
  values, or verdict rows whose ``quantity`` matches :data:`WALL_CLOCK`) differ between any
  two runs by nature; they are excluded, and every other value in the same file must still
  be identical;
- ``TOLERANCES`` maps a notebook id to the relative tolerance of its numeric columns,
  for results whose floating-point sums depend on thread scheduling (none needed so far).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repro.core.paths import repo_root

pytestmark = pytest.mark.slow
#: notebook id -> relative tolerance for numeric columns (none needed so far).
TOLERANCES: dict[str, float] = {}
#: Names of wall-clock quantities (timings and the speedups computed from them).
WALL_CLOCK = re.compile(
    r"(?:_ms(?:_mean|_std)?$|^median|^iqr|speedup|^k=|_share_of_e2e$|block time saved)"
)


def _without_wall_clock(table: pd.DataFrame) -> pd.DataFrame:
    """Drop timing columns, and timing rows of a long ``metric, value`` table."""
    table = table[[c for c in table.columns if not WALL_CLOCK.search(str(c))]]
    for long_col in ("metric", "quantity"):  # long tables; verdicts name their quantity
        if long_col in table.columns:
            table = table[~table[long_col].astype(str).str.contains(WALL_CLOCK)]
    return table.reset_index(drop=True)


def _smoke_run(build: Path) -> Path:
    env = {**os.environ, "REPRO_BUILD_DIR": str(build)}
    proc = subprocess.run(
        [sys.executable, "-m", "repro.pipeline.cli", "run", "--profile", "smoke", "--force"],
        capture_output=True, text=True, timeout=900, env=env, cwd=repo_root(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return build / "smoke" / "artifacts"


def _reference(tmp_path: Path) -> Path:
    """The smoke build of this checkout when it completed cleanly, else a fresh run."""
    main = repo_root() / "build" / "smoke"
    status = main / "status.json"
    if status.is_file():
        notebooks = json.loads(status.read_text())["notebooks"]
        if notebooks and all(rec["status"] == "ok" for rec in notebooks.values()):
            return main / "artifacts"
    return _smoke_run(tmp_path / "first")


def test_smoke_csvs_are_reproducible(tmp_path: Path):
    first = _reference(tmp_path)
    second = _smoke_run(tmp_path / "second")
    csvs = sorted(p.relative_to(first) for p in first.rglob("*.csv"))
    assert csvs == sorted(p.relative_to(second) for p in second.rglob("*.csv"))
    differing = []
    for rel in csvs:
        a, b = (first / rel).read_bytes(), (second / rel).read_bytes()
        if a == b:
            continue
        notebook = str(rel.parent)
        da, db = pd.read_csv(first / rel), pd.read_csv(second / rel)
        if _without_wall_clock(da).equals(_without_wall_clock(db)):
            continue  # only wall-clock measurements differ
        tol = TOLERANCES.get(notebook)
        if tol is None:
            differing.append(str(rel))
            continue
        num = da.select_dtypes("number").columns
        assert da.drop(columns=num).equals(db.drop(columns=num)), rel
        np.testing.assert_allclose(
            da[num].to_numpy(), db[num].to_numpy(), rtol=tol, err_msg=str(rel)
        )
    assert not differing, f"CSV artifacts differ between two smoke runs: {differing}"
