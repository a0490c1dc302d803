"""Teachers: fine-tuned once per (data, settings, seed) and cached; their outputs cached too.

The release fine-tunes one BERT-base teacher per task and keeps its best dev checkpoint
(``scripts/run_ft_standard.sh``: lr 2e-5, batch 16, 4 epochs). Every method and seed reuses
it, so we key the cache on the training data and the teacher settings only. The teacher's
outputs on unperturbed inputs are the same every epoch, so they are computed once and sliced
per batch; everything, cached outputs included, lives on the run's device.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from repro.core.errors import InputError
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
    teacher_outputs,
)

logger = logging.getLogger(__name__)
# transformers imports tqdm.auto, which warns on stderr in a kernel without ipywidgets; our
# loops use plain tqdm (off by default), so the warning is noise on the page.
warnings.filterwarnings("ignore", message="IProgress not found")

#: Above this many bytes of teacher outputs only the logits are cached (GLUE-sized data).
CACHE_LIMIT_BYTES = 2 * 1024**3
#: Settings that change the teacher (and so its cache key).
TEACHER_FIELDS = (
    "teacher_epochs",
    "teacher_lr",
    "teacher_batch",
    "teacher_path",
    "max_seq_len",
    "pooling",
    "freeze_word_embeddings",
)


class TeacherPathError(InputError):
    """The teacher checkpoint folder is missing or incomplete."""


def resolve_device(name: str = "auto") -> torch.device:
    """``"auto"`` is CUDA when torch sees a GPU, else the CPU; other names pass through."""
    from repro.core.env import torch_device

    return torch.device(torch_device() if name == "auto" else name)


def resolve_teacher(path: str) -> Path:
    """Checkpoint folder: ``""`` is the bundled MiniLM; a relative path is under ``data_root()``.

    Raises:
        TeacherPathError: naming the folder when it has no ``config.json``.
    """
    if not path:
        return minilm_folder()
    folder = Path(path)
    if not folder.is_absolute():
        from repro.core.paths import data_root

        folder = data_root() / folder
    if not (folder / "config.json").exists():
        raise TeacherPathError(
            f"{folder}: teacher_path needs a BERT folder with config.json "
            "(see data_manifests/cr_ild.yaml)"
        )
    return folder


def num_labels(task: str) -> int:
    """1 for regression (STS-B-like), 3 for MNLI, else 2."""
    return 1 if METRIC_KIND[task] == "corr" else (3 if task.startswith("mnli") else 2)


def maybe_freeze(model: DistillBert, freeze_word_embeddings: bool) -> DistillBert:
    """Freezes the word-embedding matrix if asked.

    On CPU the dense AdamW update of the 30522 x H embedding matrix dominates a step of a
    3-layer student; the offline tier therefore keeps it frozen (a documented deviation).
    """
    if freeze_word_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


@dataclass
class TaskBundle:
    """Everything shared by the methods and seeds of one task, on ``device``."""

    task: str
    train: Encoded
    dev: Encoded
    teacher: DistillBert
    teacher_history: list[dict[str, float]]
    folder: Path
    device: torch.device
    teacher_train: EncoderOutput | None = None  # teacher outputs on train inputs (cache)
    teacher_dev: EncoderOutput | None = None  # on dev inputs (held-out ILD curves)
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


def cache_folder(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir`` or ``<build_root()>/cache/crild``."""
    from repro.core.paths import build_root

    return Path(cache_dir) if cache_dir else build_root() / "cache" / "crild"


def load_or_train_teacher(
    task: str,
    train: Encoded,
    dev: Encoded,
    cfg: Any,
    seed: int,
    key: str,
    folder: Path,
    device: torch.device,
    cache_dir: str | Path | None = None,
) -> tuple[DistillBert, list[dict[str, float]]]:
    """Fine-tunes the teacher once per cache key; later calls read the cache onto ``device``.

    Args:
        cfg: any CR-ILD ``Config`` (reads the teacher and model fields).
        key: cache key (data and teacher settings).
    """
    from repro.core.atomic import atomic_write_bytes

    path = cache_folder(cache_dir) / f"teacher_{task}_{key}.pt"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(folder, num_labels(task), pooling=cfg.pooling)
    maybe_freeze(model, cfg.freeze_word_embeddings).to(device)
    if path.exists():
        # Saved from whatever device trained it: map to the CPU, then onto this run's device.
        blob = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(blob["state"])
        model.to(device).eval()
        return model, blob["history"]
    t_cfg = OptimConfig(cfg.teacher_epochs, cfg.teacher_lr, cfg.teacher_batch)
    model, hist = finetune_teacher(model, train, dev, task, t_cfg, seed, cfg.progress)
    buf = io.BytesIO()
    torch.save({"state": {k: v.cpu() for k, v in model.state_dict().items()}, "history": hist}, buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())
    return model, hist


def cache_bytes(teacher: DistillBert, data: Encoded) -> int:
    """Bytes of all cached teacher outputs for ``data`` (hidden, Q/K/V and scores, float32)."""
    s = teacher.bert.shape
    n, t = data.ids.shape
    per_layer = 3 * t * s.hidden_size + t * s.hidden_size + s.num_heads * t * t
    return 4 * n * (s.num_layers * per_layer + t * s.hidden_size)


def prepare_task(
    task: str,
    splits: dict[str, np.ndarray],
    cfg: Any,
    teacher_seed: int = 0,
    cache_dir: str | Path | None = None,
) -> TaskBundle:
    """Tokenises, fine-tunes (or loads) the teacher and caches its train/dev outputs.

    Args:
        task: metric key (see :data:`repro.crild.metrics.METRIC_KIND`).
        splits: ``{train,dev}_{text_a,text_b,label}`` arrays (see :mod:`repro.crild.synthetic`).
        cfg: any CR-ILD ``Config``.
        teacher_seed: seed of the teacher's head and fine-tuning.
        cache_dir: teacher cache folder (default ``<build>/cache/crild``).
    """
    folder = resolve_teacher(cfg.teacher_path)
    device = resolve_device(cfg.device)
    tok = load_tokenizer(folder)
    enc = {
        s: encode(
            tok,
            splits[f"{s}_text_a"],
            splits.get(f"{s}_text_b"),
            splits[f"{s}_label"],
            cfg.max_seq_len,
        ).to(device)
        for s in ("train", "dev")
    }
    teacher_settings = {k: getattr(cfg, k) for k in TEACHER_FIELDS}
    key = _digest(
        splits["train_text_a"],
        splits.get("train_text_b"),
        splits["train_label"],
        splits["dev_text_a"],
        teacher_settings,
        teacher_seed,
        str(folder),
    )
    teacher, hist = load_or_train_teacher(
        task, enc["train"], enc["dev"], cfg, teacher_seed, key, folder, device, cache_dir
    )
    bundle = TaskBundle(task, enc["train"], enc["dev"], teacher, hist, folder, device)
    if cache_bytes(teacher, enc["train"]) + cache_bytes(teacher, enc["dev"]) <= CACHE_LIMIT_BYTES:
        bundle.teacher_train = teacher_outputs(teacher, enc["train"]).to(device)
        bundle.teacher_dev = teacher_outputs(teacher, enc["dev"]).to(device)
    else:
        # GLUE-sized data: keep only the logits (stage 2); ILD recomputes the teacher per batch.
        bundle.teacher_train = EncoderOutput(logits=predict(teacher, enc["train"]).to(device))
    return bundle
