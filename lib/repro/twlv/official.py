"""``--protocol official``: the release's kNN and linear probe, top-1 for top-1, read once.

The release (twelvelabs-io/video-embeddings-evaluation-framework) evaluates a folder of
embeddings with two scripts, ``knn/main.py`` and ``linear_probing/main.py``. Both list each
split with ``os.listdir``, reseed torch and draw their batches from torch's global generator
through ``DataLoader(shuffle=True)``, so their numbers depend on the file order and on the
order of random draws, not only on the embeddings. This module reproduces both:

* :class:`OfficialProtocol` holds the scripts' defaults (k 200, temperature 0.1, seed 12 for
  kNN; Adam 1e-3, 150 epochs, 10 warm-up epochs, batch 1024, seed 1212 for the probe).
* :func:`draw_epoch_permutation` is the DataLoader's draw order: the iterator's base seed
  first, then the sampler's seed, which seeds its own generator for ``randperm``.
* :mod:`repro.twlv.official_knn` and :mod:`repro.twlv.official_linear` hold the two
  evaluations; :func:`evaluate_official` reads a folder once (in ``os.listdir`` order) and
  runs both.

Where we differ, on purpose: every file is read once, not once per epoch, and the probe
validates only after the last epoch (the release validates every 10 epochs and reports the
last; each skipped validation still consumes its random draw, so the stream stays aligned).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import torch

from repro.twlv import release_files
from repro.twlv.config import RELEASE_DATASETS
from repro.twlv.splits import EmbeddingFormatError

#: The release's ``dict_class_num`` (``--dataset_name`` -> classes), from our dataset table.
DATASET_CLASSES = dict(RELEASE_DATASETS.values())
EMBED_TYPES = ("video", "clip")


@dataclasses.dataclass(frozen=True)
class OfficialProtocol:
    """The release's evaluation settings (its argparse defaults), one field per flag.

    kNN: ``knn/main.py``; linear probe: ``linear_probing/main.py``.
    """

    knn_k: int = 200  # --num_neighbors
    knn_temperature: float = 0.1  # hard-coded in knn_predict
    knn_seed: int = 12  # --seed of knn/main.py
    knn_bank_batch: int = 1024  # --train_batch_size: the bank loader drops N mod 1024 videos
    knn_query_batch: int = 32  # --val_batch_size: fixes the matmul shapes of the queries
    linear_lr: float = 1e-3  # --base_lr (Adam, no weight decay)
    linear_epochs: int = 150  # --epochs
    linear_warmup_epochs: int = 10  # --warmup_epochs (linear warm-up, then cosine to 0)
    linear_batch: int = 1024  # --train_batch_size, drop_last=True
    linear_val_interval: int = 10  # --val_interval: each validation pass draws one seed
    linear_seed: int = 1212  # --seed of linear_probing/main.py
    num_workers: int = 4  # --num_workers: which worker (and RNG) picks a training clip

    def __post_init__(self) -> None:
        for name in ("knn_k", "knn_bank_batch", "knn_query_batch", "linear_epochs",
                     "linear_batch", "linear_val_interval"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)}: expected >= 1")
        if self.linear_warmup_epochs < 0 or self.num_workers < 0:
            raise ValueError("linear_warmup_epochs and num_workers must be >= 0")
        if self.knn_temperature <= 0 or self.linear_lr <= 0:
            raise ValueError("knn_temperature and linear_lr must be > 0")

    def with_epochs(self, epochs: int) -> OfficialProtocol:
        """The same protocol with ``epochs`` (0 keeps 150), as the release's ``--epochs``.

        The warm-up stays at 10 epochs, as in the release: with fewer epochs the learning
        rate never reaches its base value.
        """
        return dataclasses.replace(self, linear_epochs=epochs) if epochs >= 1 else self


#: The release's defaults.
RELEASE = OfficialProtocol()


def draw_seed() -> int:
    """One int64 from torch's global generator, drawn as DataLoader and RandomSampler draw."""
    return int(torch.empty((), dtype=torch.int64).random_().item())


def draw_epoch_permutation(n: int) -> tuple[int, torch.Tensor]:
    """What iterating ``DataLoader(shuffle=True)`` draws from the global generator.

    Creating the iterator draws its base seed (which seeds the workers); the first batch
    makes ``RandomSampler`` draw a second int64 that seeds a private generator for
    ``randperm(n)`` (torch 2.x, ``torch/utils/data/dataloader.py`` and ``sampler.py``).

    Returns:
        The base seed and the permutation of ``range(n)``.
    """
    base_seed = draw_seed()
    generator = torch.Generator()
    generator.manual_seed(draw_seed())
    return base_seed, torch.randperm(n, generator=generator)


def resolve_num_classes(
    num_classes: int | None, dataset_name: str | None, max_label: int
) -> tuple[int, str]:
    """Class count from ``--num-classes``, else ``--dataset-name``, else max label + 1.

    The probe's output width changes its initialisation, so top-1 equals the release's only
    with the release's class count (``dict_class_num``).

    Returns:
        The count and where it came from.
    """
    if num_classes is not None and dataset_name is not None:
        raise ValueError("give --num-classes or --dataset-name, not both")
    if dataset_name is not None:
        if dataset_name not in DATASET_CLASSES:
            raise ValueError(
                f"dataset name {dataset_name!r}, expected one of {sorted(DATASET_CLASSES)}"
            )
        return DATASET_CLASSES[dataset_name], f"--dataset-name {dataset_name}"
    if num_classes is not None:
        return num_classes, "--num-classes"
    return max_label + 1, "max label + 1"


def official_folder(root: Path, variant: str | None) -> tuple[Path, str]:
    """The folder the release's ``--embeddings_dir`` would be: ``root`` or ``root/variant``."""
    if variant:
        return root / variant, variant
    if (root / "train").is_dir():
        return root, "."
    for name in release_files.VARIANTS:
        if (root / name / "train").is_dir():
            return root / name, name
    raise EmbeddingFormatError(
        f"{root}: expected train/ and val/ split folders (or uniform/ or multi-clip/ holding them)"
    )


def evaluate_official(
    root: str | Path,
    protocol: OfficialProtocol = RELEASE,
    num_classes: int | None = None,
    dataset_name: str | None = None,
    variant: str | None = None,
    linear_embed_type: str = "video",
    run_linear: bool = True,
) -> dict[str, object]:
    """kNN (video and clip) and the linear probe as the release computes them.

    Args:
        root: A release-format folder (``train/`` and ``val/``, or variant folders).
        protocol: The release's settings (``--epochs`` changes ``linear_epochs``).
        num_classes: Class count (``--num-classes``).
        dataset_name: Or the release's dataset name (``Kinetics400``, ...).
        variant: ``uniform`` or ``multi-clip`` where ``root`` holds variant folders.
        linear_embed_type: ``video`` (the release's default) or ``clip``.
        run_linear: False skips the probe (kNN only).

    Returns:
        ``{"folder", "num_classes", "classes_from", "dim", "load_seconds", "protocol",
        "knn": {"video": {...}, "clip": {...}}, "linear": {...}}``; top-1 in percent.
    """
    from repro.twlv.official_knn import official_knn
    from repro.twlv.official_linear import official_linear

    folder, used = official_folder(Path(root), variant)
    start = time.perf_counter()
    splits = release_files.read_release(folder, order="listdir")
    load_seconds = time.perf_counter() - start
    max_label = int(max(s.labels.max() for s in splits.values()))
    classes, source = resolve_num_classes(num_classes, dataset_name, max_label)
    for name, split in splits.items():
        bad = np.flatnonzero(split.labels >= classes)
        if bad.size:
            raise EmbeddingFormatError(
                f"{folder / name / split.ids[bad[0]]}.json: label {split.labels[bad[0]]} out "
                f"of range, expected 0 <= label < {classes} ({source})"
            )
    out: dict[str, object] = {
        "folder": used,
        "num_classes": classes,
        "classes_from": source,
        "dim": splits["train"].dim,
        "load_seconds": round(load_seconds, 3),
        "protocol": dataclasses.asdict(protocol),
        "knn": {
            t: official_knn(splits["train"], splits["val"], classes, t, protocol, str(folder))
            for t in EMBED_TYPES
        },
    }
    if run_linear:
        out["linear"] = official_linear(
            splits["train"], splits["val"], classes, linear_embed_type, protocol, str(folder)
        )
    return out
