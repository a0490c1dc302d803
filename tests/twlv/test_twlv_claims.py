"""TWLV-I claims: per-seed estimates from long results, verdicts, tiers and configs."""

import numpy as np
import pandas as pd
import pytest

from repro.core.artifacts import TIERS
from repro.twlv import claims as C
from repro.twlv import tiers
from repro.twlv.config import (
    EmbeddingGeometryConfig,
    EvaluateConfig,
    ReportedTablesConfig,
    SyntheticBenchmarkConfig,
)


def _results(seeds=(0, 1, 2)):
    """Long results where motion > image on motion, attentive = linear - 5, clip > uniform."""
    rows = []
    base = {
        ("image", "appearance"): 60, ("image", "motion"): 13, ("motion", "appearance"): 40,
        ("motion", "motion"): 95, ("videomae", "appearance"): 30, ("videomae", "motion"): 13,
    }  # fmt: skip
    for s in seeds:
        for (enc, task), v in base.items():
            v = v + s  # seed shifts every method equally: paired differences are exact
            for protocol, value in (
                ("linear", v), ("attentive", v - 5), ("knn_uniform", v),
                ("knn_clip", v + 2 if task == "appearance" else v - 30), ("knn_video", v + 1),
            ):  # fmt: skip
                rows.append({"seed": s, "encoder": enc, "task": task, "protocol": protocol,
                             "metric": "top1", "value": float(value)})  # fmt: skip
    return pd.DataFrame(rows)


def test_benchmark_estimates_are_paired_by_seed():
    est = C.benchmark_estimates(_results())
    assert list(est["fig2_motion"]) == [82.0, 82.0, 82.0]
    assert list(est["fig2_videomae_motion"]) == [0.0, 0.0, 0.0]
    assert list(est["table5_attentive"]) == [-5.0, -5.0, -5.0]
    assert list(est["table6_clip"]) == [2.0, 2.0, 2.0]
    assert list(est["table6_motion_modes"]) == [30.0, 30.0, 30.0]
    assert est["control_motion"][0] == pytest.approx(95 - C.CHANCE)


def test_verdicts_follow_the_numbers_not_the_paper():
    rows = {
        r["key"]: r for r in C.verdict_rows(C.BENCHMARK_CLAIMS, C.benchmark_estimates(_results()))
    }
    assert rows["fig2_motion"]["verdict"] == "reproduced"
    assert rows["table5_attentive"]["verdict"] == "contradicted"
    assert rows["table6_motion_modes"]["verdict"] == "contradicted"
    assert rows["control_motion"]["verdict"] == "reproduced"
    assert "below" in C.reading(rows["table5_attentive"])


def test_one_seed_is_inconclusive_and_missing_encoder_too():
    results = _results(seeds=(0,))
    rows = C.verdict_rows(C.BENCHMARK_CLAIMS, C.benchmark_estimates(results))
    assert {r["verdict"] for r in rows} == {"inconclusive"}
    no_mae = _results()
    no_mae = no_mae[no_mae["encoder"] != "videomae"]
    est = C.benchmark_estimates(no_mae)
    assert est["fig2_videomae_motion"].size == 0
    row = C.verdict_rows(C.BENCHMARK_CLAIMS[:2], est)[1]
    assert row["verdict"] == "inconclusive" and row["n_seeds"] == 0


def test_geometry_estimates_average_up_and_down():
    table = pd.DataFrame(
        [{"seed": s, "encoder": e, "motion_class": c, "metric": "accuracy", "value": v + s}
         for s in (0, 1) for c in ("straight up", "straight down")
         for e, v in (("image", 50.0), ("motion", 99.0 if c == "straight up" else 97.0))]
    )  # fmt: skip
    est = C.geometry_estimates(table)
    assert list(est["reversal_motion"]) == [48.0, 48.0]
    assert est["reversal_videomae"].size == 0
    assert list(est["control_reversal"]) == [48.0, 49.0]


def test_release_estimates():
    df = pd.DataFrame(
        [{"seed": 0, "encoder": "x", "task": t, "protocol": p, "metric": "top1", "value": v}
         for t, p, v in (("K400", "knn_uniform", 60.0), ("K400", "knn_clip", 64.0),
                         ("SSv2", "knn_uniform", 20.0), ("SSv2", "knn_clip", 19.5))]
    )  # fmt: skip
    est = C.release_estimates(df)
    assert list(est["release_clip"]) == [4.0] and list(est["release_motion_modes"]) == [0.5]


def test_claims_table_lists_every_claim():
    table = C.claims_table(C.GEOMETRY_CLAIMS)
    assert list(table["key"]) == [c.key for c in C.GEOMETRY_CLAIMS]
    assert table["control"].sum() == 1


def test_rehearsal_tier(monkeypatch):
    assert "rehearsal" in TIERS
    monkeypatch.delenv("REPRO_PROFILE", raising=False)
    assert tiers.benchmark_tier("release") == "paper"
    assert tiers.benchmark_tier("synthetic") == "mechanism"
    monkeypatch.setenv("REPRO_PROFILE", "rehearsal")
    assert tiers.benchmark_tier("release") == "rehearsal"
    assert tiers.page_tier("mechanism") == "rehearsal"
    assert tiers.tier_paragraph("reported").startswith("**Tier: REHEARSAL on stand-in data.**")


@pytest.mark.parametrize(
    "cls, bad",
    [
        (SyntheticBenchmarkConfig, {"data_source": "dropbox"}),
        (SyntheticBenchmarkConfig, {"encoders": ("pixels",)}),
        (SyntheticBenchmarkConfig, {"release_datasets": ("EK",)}),
        (SyntheticBenchmarkConfig, {"n_train": 0}),
        (EmbeddingGeometryConfig, {"max_points": 0}),
        (ReportedTablesConfig, {"fig2_table": "Table 9"}),
        (EvaluateConfig, {"protocol": "svm"}),
    ],
)
def test_configs_refuse_bad_values(cls, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        cls(**bad)


def test_cli_and_notebook_share_knn_default():
    assert EvaluateConfig().knn_k == SyntheticBenchmarkConfig().knn_k == 200
    assert np.isclose(C.CHANCE, 12.5)
