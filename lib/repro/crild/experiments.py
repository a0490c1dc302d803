"""Experiment driver: teacher per task (cached), then each method x seed, as long tables.

Result contract: a long ``pandas.DataFrame`` with columns
``setting, task, method, seed, selection, metric, value`` where ``selection`` is
``"best"`` (best dev evaluation, the paper's protocol) or ``"last"`` (final checkpoint).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from repro.crild.methods import get_method, ild_loss_on, make_loss_fn
from repro.crild.metrics import METRIC_KIND
from repro.crild.models import (
    DistillBert,
    EncoderOutput,
    build_model,
    load_tokenizer,
    minilm_folder,
)
from repro.crild.train import (
    Encoded,
    OptimConfig,
    encode,
    finetune_teacher,
    predict,
    stage1_ild,
    stage2_kd,
    teacher_outputs,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExperimentConfig:
    """All hyper-parameters of one CR-ILD experiment (release defaults in brackets).

    ``teacher_path`` is a pretrained BERT folder in HF layout; ``""`` means the bundled
    MiniLM-L6-H384 (offline tier). The student is its bottom ``student_layers`` layers.
    """

    max_seq_len: int = 32  # tokens [128]
    teacher_epochs: int = 3  # [4]
    teacher_lr: float = 5e-5  # [2e-5]
    teacher_batch: int = 32  # [16]
    ild_epochs: int = 4  # stage 1 [20 for small GLUE tasks]
    ild_lr: float = 1e-4  # [3e-5]
    ild_batch: int = 32  # [32]
    kd_epochs: int = 3  # stage 2 [4]
    kd_lr: float = 1e-4  # [3e-5]
    kd_batch: int = 32  # [16]
    eval_every: int = 8  # stage-2 dev evaluation period, steps [50]
    temperature: float = 2.0  # [2]
    w_ic: float = 0.1  # consistency weight [0.1]
    student_layers: int = 3  # [6 of 12]
    pooling: str = "cls"  # classifier input: "cls" (release) or "mean" (offline tier)
    freeze_word_embeddings: bool = False  # offline tier: True (CPU cost; the release trains them)
    teacher_path: str = ""
    cache_dir: str = ""  # teacher cache; "" = <build_root()>/cache/crild
    progress: bool = False

    def __post_init__(self) -> None:
        for name in ("max_seq_len", "teacher_epochs", "ild_epochs", "kd_epochs", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"ExperimentConfig.{name}={getattr(self, name)}; expected >= 1")

    @property
    def folder(self) -> Path:
        return Path(self.teacher_path) if self.teacher_path else minilm_folder()


CONFIG_FIELDS = (
    "teacher_path",
    "student_layers",
    "max_seq_len",
    "teacher_epochs",
    "teacher_lr",
    "teacher_batch",
    "ild_epochs",
    "ild_lr",
    "ild_batch",
    "kd_epochs",
    "kd_lr",
    "kd_batch",
    "eval_every",
    "temperature",
    "w_ic",
    "pooling",
    "freeze_word_embeddings",
    "progress",
)


def set_torch_threads(n: int) -> None:
    """Sets torch's intra-op thread count (``0`` leaves it unchanged).

    On a shared 2-core machine two OpenMP threads competing with other processes made a
    training step 5-10x slower than one thread in our measurements.
    """
    if n > 0:
        torch.set_num_threads(n)


def resolve_teacher(path: str) -> str:
    """``""`` (bundled MiniLM) stays; a relative path is taken under ``data_root()``.

    Raises:
        FileNotFoundError: naming the folder when it has no ``config.json``.
    """
    if not path:
        return ""
    folder = Path(path)
    if not folder.is_absolute():
        from repro.core.paths import data_root

        folder = data_root() / folder
    if not (folder / "config.json").exists():
        raise FileNotFoundError(
            f"{folder}: teacher checkpoint folder needs config.json "
            "(see data_manifests/cr_ild.yaml)"
        )
    return str(folder)


@dataclass
class TaskBundle:
    """Everything shared by the methods and seeds of one task."""

    task: str
    train: Encoded
    dev: Encoded
    teacher: DistillBert
    teacher_history: list[dict[str, float]]
    teacher_train: object = None  # EncoderOutput on train inputs (cache)
    teacher_dev: object = None  # EncoderOutput on dev inputs (held-out ILD curves)
    extra: dict = field(default_factory=dict)


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray | list):
            p = np.asarray(p)
            h.update(str(p.dtype).encode() + str(p.shape).encode() + p.tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _num_labels(task: str) -> int:
    return 1 if METRIC_KIND[task] == "corr" else (3 if task.startswith("mnli") else 2)


def load_or_train_teacher(
    task: str, train: Encoded, dev: Encoded, cfg: ExperimentConfig, seed: int, key: str
) -> tuple[DistillBert, list[dict[str, float]]]:
    """Fine-tunes the teacher once per (data, config, seed); later calls read the cache."""
    from repro.core.atomic import atomic_write_bytes
    from repro.core.paths import build_root

    cache = Path(cfg.cache_dir) if cfg.cache_dir else build_root() / "cache" / "crild"
    path = cache / f"teacher_{task}_{key}.pt"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(cfg.folder, _num_labels(task), pooling=cfg.pooling)
    _maybe_freeze(model, cfg)
    if path.exists():
        blob = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(blob["state"])
        model.eval()
        return model, blob["history"]
    t_cfg = OptimConfig(cfg.teacher_epochs, cfg.teacher_lr, cfg.teacher_batch)
    model, hist = finetune_teacher(model, train, dev, task, t_cfg, seed, cfg.progress)
    buf = io.BytesIO()
    torch.save({"state": model.state_dict(), "history": hist}, buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return model, hist


def prepare_task(
    task: str, splits: dict[str, np.ndarray], cfg: ExperimentConfig, teacher_seed: int = 0
) -> TaskBundle:
    """Tokenises, fine-tunes (or loads) the teacher and caches its train/dev outputs.

    Args:
        task: metric key (see :data:`repro.crild.metrics.METRIC_KIND`).
        splits: ``{train,dev}_{text_a,text_b,label}`` arrays (see :mod:`repro.crild.synthetic`).
    """
    tok = load_tokenizer(cfg.folder)
    enc = {
        s: encode(
            tok,
            splits[f"{s}_text_a"],
            splits.get(f"{s}_text_b"),
            splits[f"{s}_label"],
            cfg.max_seq_len,
        )
        for s in ("train", "dev")
    }
    teacher_fields = {
        k: v
        for k, v in asdict(cfg).items()
        if k.startswith("teacher_") or k in ("max_seq_len", "pooling", "freeze_word_embeddings")
    }
    key = _digest(
        splits["train_text_a"],
        splits.get("train_text_b"),
        splits["train_label"],
        splits["dev_text_a"],
        teacher_fields,
        teacher_seed,
        str(cfg.folder),
    )
    teacher, hist = load_or_train_teacher(task, enc["train"], enc["dev"], cfg, teacher_seed, key)
    bundle = TaskBundle(task, enc["train"], enc["dev"], teacher, hist)
    if _cache_bytes(teacher, enc["train"]) + _cache_bytes(teacher, enc["dev"]) <= CACHE_LIMIT_BYTES:
        bundle.teacher_train = teacher_outputs(teacher, enc["train"])
        bundle.teacher_dev = teacher_outputs(teacher, enc["dev"])
    else:
        # GLUE-sized data: keep only the logits (stage 2); ILD recomputes the teacher per batch.
        bundle.teacher_train = EncoderOutput(logits=predict(teacher, enc["train"]))
    return bundle


CACHE_LIMIT_BYTES = 2 * 1024**3


def _cache_bytes(teacher: DistillBert, data: Encoded) -> int:
    """Bytes of all cached teacher outputs for ``data`` (hidden, Q/K/V and scores, float32)."""
    s = teacher.bert.shape
    n, t = data.ids.shape
    per_layer = 3 * t * s.hidden_size + t * s.hidden_size + s.num_heads * t * t
    return 4 * n * (s.num_layers * per_layer + t * s.hidden_size)


def make_student(bundle: TaskBundle, cfg: ExperimentConfig, seed: int) -> DistillBert:
    """Bottom ``student_layers`` layers of the *pretrained* checkpoint + new heads."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(
            cfg.folder,
            _num_labels(bundle.task),
            num_layers=cfg.student_layers,
            is_student=True,
            teacher_hidden=bundle.teacher.bert.shape.hidden_size,
            pooling=cfg.pooling,
        )
    return _maybe_freeze(model, cfg)


def _maybe_freeze(model: DistillBert, cfg: ExperimentConfig) -> DistillBert:
    """Freezes the word-embedding matrix if configured.

    On CPU the dense AdamW update of the 30522 x H embedding matrix dominates a step of a
    3-layer student; the offline tier therefore keeps it frozen (a documented deviation).
    """
    if cfg.freeze_word_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


@dataclass
class MethodRun:
    """One (method, seed): stage-2 result and, if tracked, per-epoch ILD losses."""

    method: str
    seed: int
    kd: object
    ild_train: list[float] = field(default_factory=list)
    ild_heldout: list[float] = field(default_factory=list)
    stage1_loss: list[float] = field(default_factory=list)
    model: object = None  # the trained student when ``keep_model``


def run_method(
    bundle: TaskBundle,
    method_name: str,
    cfg: ExperimentConfig,
    seed: int,
    track_ild: bool = False,
    use_cache: bool = True,
    keep_model: bool = False,
) -> MethodRun:
    """Stage 1 (unless KD) then stage 2 for one method and seed.

    Args:
        track_ild: after each stage-1 epoch, record the ILD objective on the training
            inputs and on held-out (dev) inputs, both clean and in eval mode.
        use_cache: reuse cached teacher outputs where inputs are not perturbed.
        keep_model: keep the trained student in ``MethodRun.model``.
    """
    method = get_method(method_name)
    student = make_student(bundle, cfg, seed)
    run = MethodRun(method_name, seed, kd=None)
    if method.ild != "none":
        layers_cached = bool(bundle.teacher_train.hidden)
        cache = bundle.teacher_train if use_cache and layers_cached else None
        loss_fn = make_loss_fn(method, bundle.teacher, cache, cfg.ild_epochs, cfg.w_ic)

        def hook(_epoch: int) -> None:
            t_train = bundle.teacher_train if layers_cached else None
            run.ild_train.append(
                ild_loss_on(method, student, bundle.teacher, bundle.train, t_train)
            )
            run.ild_heldout.append(
                ild_loss_on(method, student, bundle.teacher, bundle.dev, bundle.teacher_dev)
            )

        s1 = OptimConfig(cfg.ild_epochs, cfg.ild_lr, cfg.ild_batch, drop_last=True)
        run.stage1_loss = stage1_ild(
            student, bundle.train, loss_fn, s1, seed + 1, hook if track_ild else None, cfg.progress
        )
    s2 = OptimConfig(cfg.kd_epochs, cfg.kd_lr, cfg.kd_batch)
    logits = bundle.teacher_train.logits if use_cache else None
    run.kd = stage2_kd(
        student,
        bundle.train,
        bundle.dev,
        bundle.task,
        s2,
        seed + 2,
        teacher_logits=logits,
        teacher=bundle.teacher,
        temperature=cfg.temperature,
        eval_every=cfg.eval_every,
        progress=cfg.progress,
    )
    if keep_model:
        run.model = student.eval()
    return run


def result_rows(setting: str, task: str, run: MethodRun) -> list[dict]:
    """Long-format rows (best and last selection) for one run."""
    rows = []
    for selection, metrics in (("best", run.kd.best()), ("last", run.kd.last())):
        for metric, value in metrics.items():
            rows.append(
                {
                    "setting": setting,
                    "task": task,
                    "method": run.method,
                    "seed": run.seed,
                    "selection": selection,
                    "metric": metric,
                    "value": float(value),
                }
            )
    return rows


def run_grid(
    bundles: dict[str, TaskBundle],
    methods: list[str],
    seeds: list[int],
    cfg: ExperimentConfig,
    setting: str = "standard",
) -> pd.DataFrame:
    """Every method x seed on every prepared task, as one long table."""
    rows = []
    for task, bundle in bundles.items():
        for method in methods:
            for seed in seeds:
                rows += result_rows(setting, task, run_method(bundle, method, cfg, seed))
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame, metric: str = "select", scale: float = 100.0) -> pd.DataFrame:
    """Mean, s.d. and count over seeds of one metric, per setting/task/method/selection."""
    sub = df[df["metric"] == metric]
    g = sub.groupby(["setting", "task", "method", "selection"], sort=False)["value"]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out[["mean", "std"]] = out[["mean", "std"]] * scale
    return out


def teacher_table(bundles: dict[str, TaskBundle], setting: str = "standard") -> pd.DataFrame:
    """Best dev selection value of each fine-tuned teacher (x100)."""
    return pd.DataFrame(
        [
            {
                "setting": setting,
                "task": t,
                "teacher_select_x100": 100 * max(h["select"] for h in b.teacher_history),
            }
            for t, b in bundles.items()
        ]
    )
