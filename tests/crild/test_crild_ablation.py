"""The component ablation: steps, paired differences by seed, claims; the deviations table."""

import pandas as pd
import pytest

from repro.crild.ablation import ABLATION_METHODS, STEPS, ablation_table
from repro.crild.claims import ABLATION_CLAIMS, ablation_values, verdict_rows
from repro.crild.deviations import TEACHER_CHOICE, deviations_table
from repro.crild.methods import METHODS


def _results(values: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [dict(setting="standard", task=t, method=m, seed=s, selection="best", metric="select",
              value=v + (0.02 if t == "b" else 0.0))
         for m, vs in values.items() for s, v in enumerate(vs) for t in ("a", "b")]
    )  # fmt: skip


def test_every_step_is_a_method_and_compares_with_an_earlier_step():
    assert set(ABLATION_METHODS) <= set(METHODS)
    seen = set()
    for step in STEPS:
        assert step.baseline is None or step.baseline in seen
        seen.add(step.method)


def test_ablation_table_pairs_by_seed_over_the_task_mean():
    res = _results({"KD": [0.50, 0.60, 0.70], "L-ILD": [0.52, 0.61, 0.73]})
    tab = ablation_table(res).set_index("method")
    assert list(tab.index) == ["KD", "L-ILD"]  # steps that did not run are left out
    assert tab.loc["KD", "mean_x100"] == pytest.approx(61.0)  # task mean adds 1 point
    # paired differences 2, 1, 3: mean 2, s.d. 1, t(0.975, 2) = 4.303
    assert tab.loc["L-ILD", "diff_x100"] == pytest.approx(2.0)
    half = 4.302653 / 3**0.5
    assert tab.loc["L-ILD", "ci_low"] == pytest.approx(2 - half, rel=1e-5)
    assert tab.loc["L-ILD", "ci_high"] == pytest.approx(2 + half, rel=1e-5)
    assert tab.loc["L-ILD", "vs"] == "KD" and tab.loc["L-ILD", "n_seeds"] == 3


def test_ablation_claims_read_their_pairs():
    res = _results(
        {"KD": [0.5] * 3, "L-ILD": [0.6] * 3, "L-ILD-mixup": [0.65, 0.66, 0.67],
         "CR-ILD": [0.64, 0.65, 0.66], "L-ILD-other": [0.6, 0.6, 0.6]}
    )  # fmt: skip
    values = ablation_values(res)
    assert values["abl_mixup_beats_target"] == pytest.approx([5, 6, 7])
    assert values["abl_consistency_helps"] == pytest.approx([-1, -1, -1])
    verdicts = {r["key"]: r["verdict"] for r in verdict_rows(ABLATION_CLAIMS, values)}
    assert verdicts["abl_mixup_beats_target"] == "reproduced"
    assert verdicts["abl_other_beats_target"] == "inconclusive"  # zero spread: NaN interval
    assert len({c.key for c in ABLATION_CLAIMS}) == len(ABLATION_CLAIMS)


def test_deviations_table_names_each_documented_topic():
    tab = deviations_table()
    assert list(tab.columns) == ["topic", "release", "here", "effect"]
    for topic in ("Optimiser", "PKD loss scale", "EMD padding mask", "Mask on mixed inputs",
                  "EMA target"):  # fmt: skip
        assert topic in set(tab["topic"])
    assert tab.notna().all().all()
    assert "microsoft-minilm-l12-h384-uncased" in TEACHER_CHOICE


def test_ablation_differences_and_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from repro.crild.ablation import ablation_differences
    from repro.crild.report import plot_ablation

    res = _results({"KD": [0.50, 0.60, 0.70], "L-ILD": [0.52, 0.61, 0.73]})
    diffs = ablation_differences(res)
    assert list(diffs["diff_x100"]) == pytest.approx([2.0, 1.0, 3.0])
    assert set(diffs["vs"]) == {"KD"} and list(diffs["seed"]) == [0, 1, 2]
    fig = plot_ablation(diffs, ablation_table(res))
    assert len(fig.axes) == 1
    plt.close(fig)


def test_stage_steps_and_teacher_gap():
    from repro.crild.config import MainTableConfig
    from repro.crild.tables import stage_steps, teacher_student_gap

    cfg = MainTableConfig()  # 3 + 3 epochs, batches of 16
    assert stage_steps(64, cfg) == (12, 12)
    assert stage_steps(70, cfg) == (12, 15)  # stage 1 drops the partial batch, stage 2 keeps it
    summary = pd.DataFrame(
        [dict(task=t, method=m, selection="best", mean=v)
         for t, m, v in (("a", "KD", 50.0), ("b", "KD", 60.0), ("a", "L", 70.0),
                         ("b", "L", 60.0), ("avg", "L", 99.0))]
    )  # fmt: skip
    teachers = pd.DataFrame({"teacher_select_x100": [90.0, 80.0]})
    assert teacher_student_gap(teachers, summary) == pytest.approx(20.0)
