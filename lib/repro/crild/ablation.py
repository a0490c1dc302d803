"""Component ablation of CR-ILD: each step adds one component to the one before it.

==================== =================================== =====================================
step                 method (:mod:`repro.crild.methods`)  compared with
==================== =================================== =====================================
KD                   ``KD``                               --
U-ILD                ``TinyBERT``                         KD (what uniform-map ILD adds)
last-layer ILD       ``L-ILD``                            KD (what last-layer ILD adds)
+ mixup inputs       ``L-ILD-mixup``                      last-layer ILD (supplementary task)
+ consistency        ``CR-ILD``                           + mixup inputs (the CR term)
other inputs         ``L-ILD-other``                      last-layer ILD (another corpus)
==================== =================================== =====================================

Every step uses the attention + hidden-state objective of the paper's description, so a
difference between neighbouring steps is the effect of one component. The runner takes any
prepared task bundle (:func:`repro.crild.teacher_cache.prepare_task`), synthetic, GLUE or a
probe's data, and returns the same long run table as :func:`repro.crild.runner.run_grid`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from repro.core.claims import paired_differences, t_interval
from repro.crild.tables import seed_values


@dataclass(frozen=True)
class Step:
    """One row of the ablation: a method and the method it is compared with."""

    label: str
    method: str
    baseline: str | None


STEPS: tuple[Step, ...] = (
    Step("KD only", "KD", None),
    Step("U-ILD (uniform map)", "TinyBERT", "KD"),
    Step("last-layer ILD", "L-ILD", "KD"),
    Step("+ mixup inputs", "L-ILD-mixup", "L-ILD"),
    Step("+ consistency (CR-ILD)", "CR-ILD", "L-ILD-mixup"),
    Step("other corpus's inputs", "L-ILD-other", "L-ILD"),
)
#: The methods the ablation needs, in step order.
ABLATION_METHODS: tuple[str, ...] = tuple(s.method for s in STEPS)


def run_ablation(
    bundles: dict, cfg: Any, seeds: Sequence[int], setting: str = "standard"
) -> pd.DataFrame:
    """Every ablation method x seed on every bundle (long run table).

    Args:
        bundles: ``{task: TaskBundle}``; ``L-ILD-other`` needs a supplementary corpus attached
            (:func:`repro.crild.supplementary.add_supplementary`).
        cfg: any CR-ILD ``Config`` (model and training fields).
        seeds: student seeds, shared by all methods so that differences pair by seed.
    """
    from repro.crild.runner import run_grid

    return run_grid(bundles, ABLATION_METHODS, seeds, cfg, setting=setting)


def ablation_differences(results: pd.DataFrame, selection: str = "best") -> pd.DataFrame:
    """Per-seed paired differences of each step that ran to its baseline (task mean, x100).

    Returns:
        Columns ``step, method, vs, seed, diff_x100`` (steps without a baseline left out).
    """
    ran = set(results["method"])
    rows = []
    for step in STEPS:
        if step.method not in ran or step.baseline not in ran:
            continue
        own = seed_values(results, step.method, selection)
        base = seed_values(results, step.baseline, selection)
        for seed in sorted(set(own.index) & set(base.index)):
            rows.append(
                {
                    "step": step.label,
                    "method": step.method,
                    "vs": step.baseline,
                    "seed": seed,
                    "diff_x100": float(own[seed] - base[seed]),
                }
            )
    return pd.DataFrame(rows, columns=["step", "method", "vs", "seed", "diff_x100"])


def ablation_table(results: pd.DataFrame, selection: str = "best") -> pd.DataFrame:
    """One row per step that ran: mean over seeds, and the paired difference to its baseline.

    Args:
        results: long run table with the ablation's methods (others are ignored).
        selection: ``"best"`` (best-on-dev) or ``"last"``.

    Returns:
        Columns ``step, method, mean_x100, n_seeds, vs, diff_x100, ci_low, ci_high``; the
        difference is paired by seed (task mean), its interval a 95 % Student-t interval.
    """
    ran = set(results["method"])
    rows = []
    for step in STEPS:
        if step.method not in ran:
            continue
        own = seed_values(results, step.method, selection)
        row = {
            "step": step.label,
            "method": step.method,
            "mean_x100": float(own.mean()),
            "n_seeds": len(own),
            "vs": step.baseline or "",
            "diff_x100": float("nan"),
            "ci_low": float("nan"),
            "ci_high": float("nan"),
        }
        if step.baseline in ran:
            base = seed_values(results, step.baseline, selection)
            seeds = sorted(set(own.index) & set(base.index))
            diff = paired_differences(own.loc[seeds].values, base.loc[seeds].values)
            row["diff_x100"], row["ci_low"], row["ci_high"] = t_interval(diff)
        rows.append(row)
    return pd.DataFrame(rows)
