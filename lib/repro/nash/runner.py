"""From a notebook ``Config`` to results: the one place that derives library objects.

The notebooks call these functions with their validated ``cfg`` and nothing else, so a
setting is read in exactly one place (the ``Config``) and turned into the library's own
configuration objects here (:func:`experiment_config`, :func:`generation_setups`).
"""

from __future__ import annotations

import pandas as pd
import torch

from repro.nash.config import LatencyConfig, PruningConfig
from repro.nash.latency import GenerationSetup, latency_grid
from repro.nash.methods import ExperimentConfig
from repro.nash.study import run_study
from repro.nash.synthetic import SyntheticTask
from repro.nash.train import DistillConfig

HISTORY_COLUMNS = ["method", "seed", "step", "target", "expected_sparsity"]


def resolve_device(name: str) -> str:
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; other names unchanged."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was asked for but torch sees no CUDA device")
    return name


def set_threads(threads: int) -> None:
    """Pin torch's CPU threads (0 leaves the default); the shared machine has 2 cores."""
    if threads > 0:
        torch.set_num_threads(threads)


def experiment_config(cfg: PruningConfig) -> ExperimentConfig:
    """The :class:`~repro.nash.methods.ExperimentConfig` of a ``nash/pruning_synthetic`` run."""
    task = SyntheticTask(
        vocab_size=cfg.vocab_size,
        num_keywords=cfg.num_keywords,
        min_source_len=cfg.min_source_len,
        max_source_len=cfg.max_source_len,
        max_target_len=cfg.max_target_len,
        rule=cfg.keyword_rule,
        num_markers=cfg.num_markers,
    )
    return ExperimentConfig(
        task=task,
        d_model=cfg.d_model,
        d_ff=cfg.d_ff,
        num_heads=cfg.num_heads,
        num_layers=cfg.num_layers,
        n_train=cfg.n_train,
        n_test=cfg.n_test,
        teacher_steps=cfg.teacher_steps,
        prune_steps=cfg.prune_steps,
        warmup_steps=cfg.warmup_steps,
        final_steps=cfg.final_steps,
        lr=cfg.lr,
        prune_lr=cfg.prune_lr,
        final_lr=cfg.final_lr,
        reg_lr=cfg.reg_lr,
        batch_size=cfg.batch_size,
        encoder_sparsity=cfg.encoder_sparsity,
        decoder_layers=cfg.decoder_layers,
        fit_masks=cfg.fit_masks,
        distill=DistillConfig(cfg.kd_alpha, cfg.distill_temperature, cfg.hidden_weight),
        latency_batch=cfg.latency_batch,
        latency_repeats=cfg.latency_repeats,
        device=resolve_device(cfg.device),
    )


def run_pruning(cfg: PruningConfig, save_dir=None) -> dict[str, pd.DataFrame]:
    """Every method for every seed, on synthetic or release data; at the synthetic tier also
    NASH's encoder-sparsity sweep and the decoder-layer selection ablation, from the same
    teachers (:func:`repro.nash.study.run_study`).

    With ``save_dir``, the NASH model of the first seed is saved there for the reader to
    keep (:func:`repro.nash.export.load_pruned` rebuilds it).

    Returns:
        Tables by name: ``results`` (``method, seed, metric, value``), ``history``
        (pruning trajectories), and at the synthetic tier ``sweep``, ``ablation`` and
        ``teacher`` (see :func:`~repro.nash.study.run_study_seed`); at the paper tier the
        last three are empty.
    """
    from repro.nash.paper import run_paper_seed

    set_threads(cfg.threads)
    exp = experiment_config(cfg)
    methods, seeds = list(cfg.methods), list(cfg.seeds)
    if cfg.data_source == "synthetic":
        return run_study(
            exp,
            methods,
            seeds,
            sweep=cfg.sweep_sparsities,
            selections=cfg.layer_selections,
            save_dir=save_dir,
        )
    parts = [
        run_paper_seed(
            exp,
            dataset=cfg.dataset,
            arch=cfg.arch,
            methods=methods,
            seed=s,
            max_source_len=cfg.max_source_len_tokens,
            max_target_len=cfg.max_target_len_tokens,
            n_eval=cfg.n_eval or None,
            device=exp.device,
            save_dir=save_dir if i == 0 else None,
        )
        for i, s in enumerate(seeds)
    ]
    empty = pd.DataFrame(columns=["seed", "metric", "value"])
    return {
        "results": pd.concat(parts, ignore_index=True),
        "history": pd.DataFrame(columns=HISTORY_COLUMNS),
        "sweep": empty,
        "ablation": empty,
        "teacher": empty,
    }


def generation_setups(batch_sizes, output_lens, num_beams, input_len: int) -> list[GenerationSetup]:
    """Every (batch, output length, beams) combination at one input length."""
    return [
        GenerationSetup(b, input_len, o, nb)
        for b in batch_sizes
        for o in output_lens
        for nb in num_beams
    ]


def _ks(values) -> list[int | None]:
    return [None if k == 0 else k for k in values]


def run_latency(cfg: LatencyConfig) -> pd.DataFrame:
    """The latency grid of ``nash/latency_anatomy`` (main shapes, then the compare shape).

    Returns:
        One row per (shape, setup, sparsity group, configuration): the records of
        :func:`repro.nash.latency.latency_grid`, per-repeat times in ``samples_ms``.
    """
    set_threads(cfg.threads)
    device = resolve_device(cfg.device)
    common = {"warmup": cfg.warmup, "repeats": cfg.repeats, "seed": cfg.seed, "device": device}
    setups = generation_setups(cfg.batch_sizes, cfg.output_lens, cfg.num_beams, cfg.input_len)
    records: list[dict] = []
    for arch in cfg.archs:
        records += latency_grid(
            arch, _ks(cfg.decoder_layers), cfg.encoder_sparsities, setups, **common
        )
    if cfg.compare_arch:
        csetups = generation_setups(
            cfg.compare_batch_sizes, cfg.compare_output_lens, cfg.num_beams, cfg.input_len
        )
        records += latency_grid(
            cfg.compare_arch,
            _ks(cfg.compare_decoder_layers),
            cfg.compare_encoder_sparsities,
            csetups,
            **common,
        )
    return pd.DataFrame(records)


def device_label(lat: pd.DataFrame) -> str:
    """``"<device name> (cpu, 1 threads, float32)"`` from the first latency record."""
    env = lat.iloc[0]
    return f"{env['device_name']} ({env['device']}, {env['threads']} threads, {env['dtype']})"
