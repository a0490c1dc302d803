"""The synthetic study of one seed: one teacher, then every comparison drawn from it.

Per seed one teacher is trained; from copies of it run (1) the methods compared at equal
size, (2) NASH's encoder-sparsity sweep at a fixed decoder depth (the paper's second
claim, :mod:`repro.nash.sweep`) and (3) the decoder-layer selection ablation (uniform /
low / high / learned, :mod:`repro.nash.ablation`). Identical runs are computed once: the
sweep's point at the main sparsity and the ablation's uniform row are the ``nash`` method
itself. CoFi runs after NASH and gets NASH's *achieved* overall sparsity as its target,
so the two are compared at the size NASH really reached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from repro.core.seeding import derive_seed
from repro.nash.arch import count_parameters
from repro.nash.config import Method
from repro.nash.latency import GenerationSetup, measure
from repro.nash.methods import (
    Compressed,
    ExperimentConfig,
    compress_keeping,
    evaluate,
    kept_method,
    save_compressed,
    train_teacher,
    training_steps,
)
from repro.nash.prune import structure
from repro.nash.sparsity import achieved_sparsity
from repro.nash.synthetic import make_dataset

#: Method of the sweep and the ablation (the paper's NASH, with distillation).
STUDY_METHOD = Method.NASH


def _order(methods: Sequence[str]) -> list[str]:
    """Run NASH before CoFi (CoFi's target is NASH's achieved size); others keep their order."""
    out = list(methods)
    if Method.COFI in out and Method.NASH in out:
        out.remove(Method.COFI)
        out.insert(out.index(Method.NASH) + 1, Method.COFI)
    return out


def _metrics(result: Compressed, method: str, teacher, test, cfg: ExperimentConfig) -> dict:
    model = result.model
    out = {
        **evaluate(model, test, cfg.task),
        "params": count_parameters(model)["total"],
        "steps": training_steps(method, cfg),
        **achieved_sparsity(structure(model), teacher.config),
    }
    if method not in (Method.FULL, Method.DECODER_ONLY, Method.COFI):
        out["encoder_target"] = cfg.encoder_sparsity
    return out


def _long(rows: dict[str, dict], seed: int, key: str) -> list[dict]:
    return [
        {key: name, "seed": seed, "metric": m, "value": float(v)}
        for name, metrics in rows.items()
        for m, v in metrics.items()
    ]


def run_study_seed(
    cfg: ExperimentConfig,
    methods: Sequence[str],
    seed: int,
    *,
    sweep: Sequence[float] = (),
    selections: Sequence[str] = (),
    save_dir=None,
) -> dict[str, pd.DataFrame]:
    """Methods, sweep and ablation of one seed from one teacher.

    Args:
        sweep: Encoder target sparsities for NASH at ``cfg.decoder_layers`` (empty: none).
        selections: Decoder-layer selections for NASH (empty: no ablation).
        save_dir: Where the NASH model is saved (None: not saved).

    Returns:
        ``results`` (``method, seed, metric, value``: quality, exact match, parameters,
        steps, achieved and target sparsities, latency median/IQR/speedup), ``sweep``
        (``target, seed, metric, value``), ``ablation`` (``selection, seed, metric,
        value``, plus the kept blocks as ``kept_<i>``), ``history`` (pruning trajectories)
        and ``teacher`` (the teacher's own scores).
    """
    train = make_dataset(cfg.task, cfg.n_train, derive_seed(seed, "train"))
    test = make_dataset(cfg.task, cfg.n_test, derive_seed(seed, "test"))
    teacher = train_teacher(cfg, train, seed)
    done: dict[tuple[str, float, str], Compressed] = {}
    hist: list[dict] = []

    def run(method: str, c: ExperimentConfig, label: str, **kw) -> Compressed:
        key = (method, c.encoder_sparsity, c.layer_selection)
        if key not in done:
            done[key] = compress_keeping(method, teacher, train, c, seed, **kw)
            hist.extend({"method": label, "seed": seed, **h} for h in done[key].history)
        return done[key]

    rows: dict[str, dict] = {}
    for m in _order(methods):
        kw = {}
        if m == Method.COFI and Method.NASH in rows:
            kw["cofi_target_sparsity"] = rows[Method.NASH]["overall_sparsity"]
        result = run(m, cfg, m, **kw)
        if save_dir is not None and m == kept_method(list(methods)):
            save_compressed(result, save_dir, info={"method": m, "seed": seed})
        rows[m] = _metrics(result, m, teacher, test, cfg)
        if m == Method.COFI:
            rows[m]["overall_target"] = kw.get("cofi_target_sparsity", cfg.cofi_target())
    sweep_rows = {}
    for s in sweep:
        c = dataclasses.replace(cfg, encoder_sparsity=float(s))
        sweep_rows[float(s)] = _metrics(
            run(STUDY_METHOD, c, f"sweep s={s:g}"), STUDY_METHOD, teacher, test, c
        )
    abl_rows, abl_models = {}, {}
    for sel in selections:
        c = dataclasses.replace(cfg, layer_selection=sel)
        label = "nash" if sel == "unif" else f"nash ({sel})"
        result = run(STUDY_METHOD, c, label)
        abl_models[sel] = result.model
        abl_rows[sel] = _metrics(result, STUDY_METHOD, teacher, test, c)
        abl_rows[sel].update({f"kept_{i}": b for i, b in enumerate(result.decoder_layers_kept)})
    models = {m: done[(m, cfg.encoder_sparsity, cfg.layer_selection)].model for m in methods}
    models.pop(Method.FULL, None)
    full = done.get((Method.FULL, cfg.encoder_sparsity, cfg.layer_selection))
    timed = {"full": teacher if full is None else full.model, **models}
    timed |= {f"select:{s}": abl_models[s] for s in selections}
    setup = GenerationSetup(
        cfg.latency_batch, cfg.task.max_source_len + 1, cfg.task.max_target_len + 1
    )
    records = (
        measure(
            timed, setup, reference="full", repeats=cfg.latency_repeats, seed=seed, with_parts=False
        )
        if len(timed) > 1
        else []
    )
    for rec in records:
        name = rec["config"]
        target = abl_rows.get(name.removeprefix("select:")) if name.startswith("select:") else None
        target = rows.get(name) if target is None else target
        if target is not None:
            target.update({k: rec[k] for k in ("median_ms", "iqr_ms", "speedup")})
    teacher_scores = {"teacher": evaluate(teacher, test, cfg.task)}
    return {
        "results": pd.DataFrame(_long(rows, seed, "method")),
        "sweep": pd.DataFrame(_long(sweep_rows, seed, "target")),
        "ablation": pd.DataFrame(_long(abl_rows, seed, "selection")),
        "history": pd.DataFrame(hist),
        "teacher": pd.DataFrame(_long(teacher_scores, seed, "model")),
    }


def run_study(
    cfg: ExperimentConfig,
    methods: Sequence[str],
    seeds: Sequence[int],
    *,
    sweep: Sequence[float] = (),
    selections: Sequence[str] = (),
    save_dir=None,
) -> dict[str, pd.DataFrame]:
    """:func:`run_study_seed` for every seed, tables concatenated; the first seed's NASH saved."""
    for m in methods:
        Method(m)  # fail early on an unknown name
    parts = [
        run_study_seed(
            cfg,
            methods,
            s,
            sweep=sweep,
            selections=selections,
            save_dir=save_dir if i == 0 else None,
        )
        for i, s in enumerate(seeds)
    ]
    return {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in parts[0]}


def run_experiment(
    cfg: ExperimentConfig, methods: list[str], seeds: list[int], save_dir=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The methods only (no sweep, no ablation): ``(results, history)``."""
    out = run_study(cfg, methods, seeds, save_dir=save_dir)
    return out["results"], out["history"]
