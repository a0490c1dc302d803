"""Pre-registered claims and verdicts computed from paired seeds.

A notebook writes its claims down before it runs anything (a list of :class:`Claim`);
after the run it hands each claim the per-seed values of its estimate (for a comparison of
two methods, the paired per-seed differences) and gets a verdict:

* *reproduced*: the 95 % interval lies entirely on the paper's side of the threshold;
* *contradicted*: it lies entirely on the other side;
* *inconclusive*: it covers the threshold, or there are fewer seeds than registered
  (at least two are needed for an interval).

The interval is Student's t over seeds (paired differences are one value per seed), the
usual choice for a handful of runs; rliable's argument for interval estimates over point
scores is why a verdict never comes from a mean alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Directions a claim can predict for its estimate, relative to its threshold.
DIRECTIONS = ("positive", "negative")
VERDICTS = ("reproduced", "contradicted", "inconclusive")
#: Columns of every ``verdicts.csv`` artifact (the issue's contract first).
VERDICT_COLUMNS = [
    "paper_item",
    "claim",
    "expected",
    "estimate",
    "ci_low",
    "ci_high",
    "n_seeds",
    "verdict",
    "key",
    "quantity",
    "threshold",
    "control",
    "deterministic",
    "replicate",
]


@dataclass(frozen=True)
class Claim:
    """One claim, written down before the run.

    Attributes:
        key: short identifier, used for glue keys (``<key>_verdict`` ...).
        paper_item: the item of ``reported/paper_items.csv`` it tests, e.g. ``"twlv.table5"``.
        claim: the paper's claim in one sentence.
        quantity: what the estimate is, with its unit, e.g. "attentive minus linear top-1
            (points), paired by seed".
        expected: ``"positive"`` or ``"negative"``: the sign the paper predicts for
            ``estimate - threshold``.
        n_seeds: seeds registered; fewer values give *inconclusive*.
        threshold: the null value (0 for a difference; a margin for "keeps quality").
        control: a positive control, which must come out *reproduced* for the experiment
            to have the power to show anything.
        decimals: digits when the estimate is printed.
        deterministic: the estimate is exact arithmetic (no seed changes it, e.g. a parameter
            count): one value decides, and its interval is the point itself.
        replicate: what one value is, in the page's sentence ("seed"; "timing round" for
            latencies paired by round).
    """

    key: str
    paper_item: str
    claim: str
    quantity: str
    expected: str = "positive"
    n_seeds: int = 3
    threshold: float = 0.0
    control: bool = False
    decimals: int = 2
    deterministic: bool = False
    replicate: str = "seed"

    def __post_init__(self) -> None:
        if self.expected not in DIRECTIONS:
            raise ValueError(f"Claim {self.key!r}: expected must be one of {DIRECTIONS}")
        if self.n_seeds < 2 and not self.deterministic:
            raise ValueError(f"Claim {self.key!r}: an interval needs n_seeds >= 2")


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of ``values`` (NaN bounds when n < 2)."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.size == 0 or np.isnan(x).any():
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, df=x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def verdict(ci_low: float, ci_high: float, expected: str, threshold: float = 0.0) -> str:
    """*reproduced*, *contradicted* or *inconclusive* from an interval and a direction."""
    if math.isnan(ci_low) or math.isnan(ci_high):
        return "inconclusive"
    above, below = ci_low > threshold, ci_high < threshold
    if expected == "positive":
        return "reproduced" if above else "contradicted" if below else "inconclusive"
    return "reproduced" if below else "contradicted" if above else "inconclusive"


def paired_differences(a: Sequence[float], b: Sequence[float]) -> np.ndarray:
    """Per-seed ``a - b`` (both indexed by the same seeds, in the same order)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired values need equal shapes, got {x.shape} and {y.shape}")
    return x - y


def evaluate(claim: Claim, values: Sequence[float]) -> dict[str, object]:
    """One row of the verdicts table for ``claim`` given one estimate per seed."""
    n = len(values)
    if claim.deterministic:
        # Exact arithmetic: every value must agree, and the interval is the value itself.
        x = np.asarray(values, dtype=float)
        exact = x.size > 0 and not np.isnan(x).any() and bool(np.all(x == x[0]))
        mean = low = high = float(x[0]) if exact else math.nan
    else:
        mean, low, high = t_interval(values)
    decided = verdict(low, high, claim.expected, claim.threshold)
    if n < claim.n_seeds and not claim.deterministic:
        decided = "inconclusive"  # fewer seeds than registered: no verdict either way
    return {
        "paper_item": claim.paper_item,
        "claim": claim.claim,
        "expected": claim.expected,
        "estimate": mean,
        "ci_low": low,
        "ci_high": high,
        "n_seeds": n,
        "verdict": decided,
        "key": claim.key,
        "quantity": claim.quantity,
        "threshold": claim.threshold,
        "control": claim.control,
        "deterministic": claim.deterministic,
        "replicate": claim.replicate,
    }


def verdict_table(rows: Sequence[dict[str, object]]) -> pd.DataFrame:
    """The tidy verdicts table (columns :data:`VERDICT_COLUMNS`)."""
    return pd.DataFrame(list(rows), columns=VERDICT_COLUMNS)


def describe(row: dict[str, object] | pd.Series, decimals: int = 2) -> str:
    """A sentence for the page: verdict, estimate, interval and seeds."""
    est, lo, hi = (float(row[k]) for k in ("estimate", "ci_low", "ci_high"))
    n = int(row["n_seeds"])
    unit = str(row.get("replicate") or "seed")
    seeds = f"{n} {unit}" + ("" if n == 1 else "s")
    if bool(row.get("deterministic", False)) and not math.isnan(lo):
        interval = "exact arithmetic (no seed changes it)"
    elif math.isnan(lo):
        interval = f"no interval ({seeds})"
    else:
        interval = f"95 % CI [{lo:+.{decimals}f}, {hi:+.{decimals}f}] over {seeds}"
    return f"**{row['verdict']}**: {row['quantity']} = {est:+.{decimals}f}, {interval}"


def controls_passed(table: pd.DataFrame) -> bool:
    """Whether every positive control in ``table`` came out *reproduced*."""
    controls = table[table["control"].astype(bool)]
    return bool((controls["verdict"] == "reproduced").all())
