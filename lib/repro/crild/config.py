"""The ``Config`` of every CR-ILD notebook: one home for each setting.

Each notebook's parameters cell is exactly its ``Config`` here (``tests/test_notebook_configs.py``
keeps them equal). Shared sections are written once, as small frozen dataclasses combined by
inheritance: a dataclass collects its bases' fields in reverse MRO order, so
``class C(_Tier, _Training, _Model, _Data)`` lists data, model, training, tier, the order of
the parameters cell's section comments.

Defaults are the *offline tier* (MiniLM-L6-H384 teacher on synthetic tasks, sizes a 2-core CPU
runs in minutes). The paper recipe (release values: ``scripts/standard_glue_truncated_bert.sh``
and ``run_finetune.py`` of jongwooko/CR-ILD) lives in ONE place, the ``cr_ild/main_table``
entry of ``profiles/paper.yaml`` (the other cr_ild entries merge it with a YAML alias);
:func:`paper_recipe` reads it for the ``repro crild run`` command.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from repro.core.config import ConfigError

DATA_SOURCES = ("synthetic", "glue")
POOLINGS = ("cls", "mean")
SETTINGS = ("standard", "few-sample", "label-noise")


class CrildConfigError(ConfigError):
    """A CR-ILD setting is out of range; the message names the field."""


def _check(cfg: Any) -> None:
    """Range checks shared by every CR-ILD ``Config`` (called from ``__post_init__``)."""
    name = type(cfg).__name__
    positive = (
        "max_seq_len",
        "teacher_epochs",
        "ild_epochs",
        "kd_epochs",
        "eval_every",
        "teacher_batch",
        "ild_batch",
        "kd_batch",
        "student_layers",
    )
    for field in positive:
        if getattr(cfg, field) < 1:
            raise CrildConfigError(f"{name}.{field}={getattr(cfg, field)}: expected >= 1")
    for field in ("teacher_lr", "ild_lr", "kd_lr", "temperature"):
        if not getattr(cfg, field) > 0:
            raise CrildConfigError(f"{name}.{field}={getattr(cfg, field)}: expected > 0")
    for field in ("n_train", "n_dev", "torch_threads"):
        if getattr(cfg, field) < 0:
            raise CrildConfigError(f"{name}.{field}={getattr(cfg, field)}: expected >= 0")
    if cfg.data_source not in DATA_SOURCES:
        raise CrildConfigError(f"{name}.data_source={cfg.data_source!r}: expected {DATA_SOURCES}")
    if cfg.pooling not in POOLINGS:
        raise CrildConfigError(f"{name}.pooling={cfg.pooling!r}: expected {POOLINGS}")
    if not cfg.seeds:
        raise CrildConfigError(f"{name}.seeds: expected at least one seed")
    if not cfg.methods:
        raise CrildConfigError(f"{name}.methods: expected at least one method")
    from repro.crild.methods import METHODS

    unknown = [m for m in cfg.methods if m not in METHODS]
    if unknown:
        raise CrildConfigError(
            f"{name}.methods: unknown {unknown}; expected some of {list(METHODS)}"
        )
    if not (cfg.device == "auto" or cfg.device.split(":")[0] in ("cpu", "cuda", "mps")):
        raise CrildConfigError(
            f"{name}.device={cfg.device!r}: expected 'auto', 'cpu' or 'cuda[:n]'"
        )


# ---------------------------------------------------------------------------------------------
# data: one block per notebook (what is run, on how much data)


@dataclass(frozen=True)
class _MainTableData:
    tasks: tuple[str, ...] = ("syn-sentiment",)  # or more synthetic tasks, or GLUE names
    methods: tuple[str, ...] = (
        "KD",
        "TinyBERT",
        "EMD",
        "L-ILD",
        "L-ILD-mixup",
        "CR-ILD",
        "L-ILD-other",
    )  # see repro.crild.methods (PKD too: paper profile); the ablation needs these but EMD
    seeds: tuple[int, ...] = (0, 1, 2)  # student seeds (paper: 42, 43, 44)
    n_train: int = 64  # training examples per task; 0 means all (GLUE)
    n_dev: int = 128  # dev examples; 0 means all (GLUE)
    data_seed: int = 0  # seed of the synthetic generator / GLUE subset
    supplementary_tasks: tuple[str, ...] = (
        "syn-paraphrase",
        "syn-sentiment",
    )  # L-ILD-other's inputs: the first that is not the target task (paper: Wikipedia pairs)


@dataclass(frozen=True)
class _SettingsData:
    task: str = "syn-sentiment"  # synthetic task name, or a GLUE name
    methods: tuple[str, ...] = ("KD", "CR-ILD")  # see repro.crild.methods
    seeds: tuple[int, ...] = (0, 1, 2)  # student seeds (paper: 42, 43, 44)
    settings: tuple[str, ...] = ("few-sample", "label-noise")  # and/or "standard"
    n_train: int = 64  # standard-setting training examples; 0 means all (GLUE)
    n_few: int = 24  # few-sample setting size (paper: 1000)
    label_noise: float = 0.3  # noisy-label setting: flip probability (paper: 0.3)
    n_dev: int = 128  # dev examples; 0 means all (GLUE)
    data_seed: int = 0  # seed of the synthetic generator / GLUE subset


# ---------------------------------------------------------------------------------------------
# model: the student is the bottom layers of the *pretrained* teacher checkpoint


@dataclass(frozen=True)
class _Model:
    student_layers: int = 3  # bottom layers of the pretrained checkpoint (paper: 6 of 12)
    max_seq_len: int = 32  # tokens (paper: 128)
    pooling: str = "mean"  # classifier input: "mean" (offline) or "cls" (release head)


# ---------------------------------------------------------------------------------------------
# training: teacher fine-tuning, stage 1 (ILD, no labels), stage 2 (prediction-layer KD)


@dataclass(frozen=True)
class _Training:
    teacher_epochs: int = 5  # teacher fine-tuning epochs (paper: 4)
    teacher_lr: float = 0.0003  # teacher learning rate (paper: 2e-5)
    teacher_batch: int = 16  # teacher batch size (paper: 16)
    ild_epochs: int = 3  # stage-1 ILD epochs (paper: 20 for small GLUE tasks)
    ild_lr: float = 0.0003  # stage-1 learning rate (paper: 3e-5)
    ild_batch: int = 16  # stage-1 batch size (paper: 32)
    kd_epochs: int = 3  # stage-2 KD epochs (paper: 4)
    kd_lr: float = 0.0003  # stage-2 learning rate (paper: 3e-5)
    kd_batch: int = 16  # stage-2 batch size (paper: 16)
    eval_every: int = 6  # stage-2 dev evaluation period in steps (paper: 50)
    temperature: float = 2.0  # KD temperature T (paper: 2)
    w_ic: float = 0.1  # consistency weight of CR-ILD (paper: 0.1)


# ---------------------------------------------------------------------------------------------
# tier: what separates the offline tier from the paper tier, and where it runs


@dataclass(frozen=True)
class _Tier:
    data_source: str = "synthetic"  # "synthetic" (offline) or "glue" (data_root()/cr_ild/glue)
    teacher_path: str = ""  # empty: bundled MiniLM-L6-H384; else a BERT folder under data_root()
    freeze_word_embeddings: bool = True  # offline economy (CPU cost); the paper trains them
    device: str = "auto"  # "auto": CUDA when present, else "cpu"; or "cpu", "cuda:0"
    torch_threads: int = 1  # CPU intra-op threads; 0 keeps torch's default
    progress: bool = False  # tqdm progress bars

    def __post_init__(self) -> None:
        _check(self)


# ---------------------------------------------------------------------------------------------
# one Config per notebook


@dataclass(frozen=True)
class _Flatness:
    noise_sigmas: tuple[float, ...] = (0.0, 0.1, 0.2)  # relative weight-noise levels
    noise_draws: int = 2  # weight-noise draws per level (U-ILD and L-ILD students)


@dataclass(frozen=True)
class MainTableConfig(_Flatness, _Tier, _Training, _Model, _MainTableData):
    """``cr_ild/main_table``: every method x task x seed (main table, which-layer analysis,
    component ablation, supplementary inputs) and the flatness proxy."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.supplementary_tasks:
            raise CrildConfigError("MainTableConfig.supplementary_tasks: expected at least one")
        if self.noise_draws < 1 or not self.noise_sigmas or min(self.noise_sigmas) < 0:
            raise CrildConfigError(
                "MainTableConfig.noise_sigmas/noise_draws: expected sigmas >= 0 and draws >= 1"
            )


@dataclass(frozen=True)
class SettingsConfig(_Tier, _Training, _Model, _SettingsData):
    """``cr_ild/settings``: few-sample and noisy-label settings of the release."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.label_noise < 1.0:
            raise CrildConfigError(
                f"SettingsConfig.label_noise={self.label_noise}: expected [0, 1)"
            )
        if self.n_few < 1:
            raise CrildConfigError(f"SettingsConfig.n_few={self.n_few}: expected >= 1")
        bad = [s for s in self.settings if s not in SETTINGS]
        if bad or not self.settings:
            raise CrildConfigError(
                f"SettingsConfig.settings={list(self.settings)}: expected some of {SETTINGS}"
            )


@dataclass(frozen=True)
class ReportedOutputsConfig:
    """``cr_ild/reported_outputs``: the paper's and the release's stored numbers, re-rendered."""

    paper: str = "CR-ILD"  # paper name as in reported/paper_items.csv


#: Fields that define a distillation run (model, training and tier sections).
RUN_FIELDS = tuple(
    f.name
    for cls in (_Model, _Training, _Tier)
    for f in dataclasses.fields(cls)
    if f.name != "progress"
)


def paper_recipe() -> dict[str, Any]:
    """The paper recipe: seeds, model, training and tier settings of ``profiles/paper.yaml``.

    Read from the ``cr_ild/main_table`` entry of the paper profile, the one place the recipe
    is written (release: teacher lr 2e-5, batch 16, 4 epochs; stage 1 lr 3e-5, batch 32,
    20 epochs; stage 2 lr 3e-5, batch 16, 4 epochs, dev every 50 steps; 128 tokens; 6 of 12
    layers; ``classifier(ReLU(pooler))`` head).
    """
    from repro.pipeline.profiles import load_profile

    params = load_profile("paper").notebooks["cr_ild/main_table"].parameters
    return {k: v for k, v in params.items() if k in (*RUN_FIELDS, "seeds")}


# ---------------------------------------------------------------------------------------------
# cr_ild/ild_probe: the ILD-overfitting probe (issue 14), a mechanism-tier notebook of its own

#: Runs of the probe: (training examples field, method, steps field); see repro.crild.probe_runner.
PROBE_SETTINGS = ("control", "few-U", "few-L", "few-U-mixup", "many-U")


@dataclass(frozen=True)
class ProbeConfig:
    """``cr_ild/ild_probe``: can ILD overfit here, and does more ILD then hurt the student?"""

    # data
    settings: tuple[str, ...] = PROBE_SETTINGS  # runs (probe_runner.SETTINGS)
    seeds: tuple[int, ...] = (0, 1, 2)  # student init + batch order, paired across settings
    n_few: int = 32  # training examples of the few-example settings
    n_many: int = 512  # training examples of the many-example setting
    n_control: int = 8  # training examples of the positive control
    n_dev: int = 1000  # held-out examples scored after stage 2
    n_gap: int = 64  # held-out (and at most as many training) examples of the gap curves
    n_teacher: int = 192  # teacher fine-tuning examples (a split of their own)
    n_slots: int = 6  # words per sentence; every input is n_slots + 2 tokens
    n_fillers: int = 3000  # filler words drawn from the teacher's vocabulary
    p_negate: float = 0.3  # probability that a negator precedes the adjective (flips the label)
    data_seed: int = 0  # seed of the vocabulary draw and of the sentence generator

    # model
    student_layers: int = 2  # bottom layers of the pretrained checkpoint (paper: 6 of 12)
    pooling: str = "mean"  # classifier input: "mean" (offline) or "cls" (release head)
    train_word_embeddings: bool = True  # student word embeddings trainable (paper: yes)

    # training
    teacher_epochs: int = 3  # teacher fine-tuning epochs, best on a 200-example dev slice
    teacher_lr: float = 0.0002  # teacher learning rate (paper: 2e-5 on GLUE)
    teacher_batch: int = 16  # teacher batch size (paper: 16)
    ild_steps: int = 120  # stage-1 optimiser steps of every non-control run
    ild_warmup: int = 10  # linear warm-up steps, then a constant learning rate
    ild_lr: float = 0.0003  # stage-1 learning rate (paper: 3e-5 with linear decay)
    ild_batch: int = 16  # stage-1 batch size (paper: 32); the control uses min(this, n)
    checkpoints: tuple[int, ...] = (0, 60, 120)  # stage-1 steps that get a stage 2
    log_every: int = 20  # stage-1 steps between two gap measurements (and step 0)
    control_steps: int = 80  # stage-1 steps of the positive control
    kd_steps: int = 24  # stage-2 KD optimiser steps (same from every checkpoint)
    kd_lr: float = 0.0003  # stage-2 learning rate (paper: 3e-5)
    kd_batch: int = 16  # stage-2 batch size (paper: 16)
    temperature: float = 2.0  # KD temperature T (paper: 2)

    # tier
    device: str = "auto"  # "auto": CUDA when present, else "cpu"; or "cpu", "cuda:0"
    torch_threads: int = 1  # CPU intra-op threads; 0 keeps torch's default

    def __post_init__(self) -> None:
        name = "ProbeConfig"
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, int) and not isinstance(v, bool) and v < 0:
                raise CrildConfigError(f"{name}.{f.name}={v}: expected >= 0")
        unknown = [s for s in self.settings if s not in PROBE_SETTINGS]
        if unknown or not self.settings:
            raise CrildConfigError(
                f"{name}.settings={list(self.settings)}: expected some of {list(PROBE_SETTINGS)}"
            )
        if not self.seeds:
            raise CrildConfigError(f"{name}.seeds: expected at least one seed")
        if not 0 < self.n_few < self.n_many:
            raise CrildConfigError(
                f"{name}.n_few={self.n_few}, n_many={self.n_many}: expected 0 < n_few < n_many"
            )
        if self.n_control < 1 or self.n_dev < 1 or self.n_gap < 1 or self.n_teacher < 1:
            raise CrildConfigError(f"{name}: n_control, n_dev, n_gap and n_teacher must be >= 1")
        if self.n_slots < 3 or self.student_layers < 1 or self.log_every < 1:
            raise CrildConfigError(
                f"{name}: n_slots >= 3, student_layers >= 1, log_every >= 1 expected"
            )
        ckpt = list(self.checkpoints)
        if len(ckpt) < 3 or ckpt[0] != 0 or ckpt != sorted(set(ckpt)) or ckpt[-1] != self.ild_steps:
            raise CrildConfigError(
                f"{name}.checkpoints={ckpt}: expected >= 3 increasing steps from 0 to "
                f"ild_steps={self.ild_steps}"
            )
        for f in ("teacher_lr", "ild_lr", "kd_lr", "temperature"):
            if not getattr(self, f) > 0:
                raise CrildConfigError(f"{name}.{f}={getattr(self, f)}: expected > 0")
        if self.pooling not in POOLINGS:
            raise CrildConfigError(f"{name}.pooling={self.pooling!r}: expected {POOLINGS}")
        if not (self.device == "auto" or self.device.split(":")[0] in ("cpu", "cuda", "mps")):
            raise CrildConfigError(
                f"{name}.device={self.device!r}: expected 'auto', 'cpu' or 'cuda[:n]'"
            )
