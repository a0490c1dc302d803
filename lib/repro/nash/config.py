"""The ``Config`` of every NASH notebook: one home for each setting.

Each class's fields and defaults are exactly its notebook's parameters cell
(``tests/test_notebook_configs.py`` keeps them equal); profiles hold overrides only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportedClaimsConfig:
    """``nash/reported_claims``: the paper's reported numbers, re-rendered."""

    paper: str = "NASH"  # paper name as in reported/paper_items.csv
