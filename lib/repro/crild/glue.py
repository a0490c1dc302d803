"""Loaders for the standard GLUE TSV layout (``glue_data/<TASK>/{train,dev}.tsv``).

Column positions follow the files written by the GLUE download script: CoLA has no
header (``source, label, mark, sentence``); every other task has a header and is read
by column name. The script writes MRPC's header with a UTF-8 byte-order mark
(``\ufeffQuality``), so files are read as ``utf-8-sig``. QQP's training file has a few
malformed rows; as the release's processor does, they are skipped, counted and reported
with a warning. Other malformed files raise :class:`GlueFormatError` naming the file, the
line and what was expected.
"""

from __future__ import annotations

import csv
import logging
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repro.core.errors import InputError

csv.field_size_limit(sys.maxsize)


logger = logging.getLogger(__name__)


class GlueFormatError(InputError):
    """A GLUE file does not have the expected layout."""


class GlueFileMissing(InputError, FileNotFoundError):
    """A GLUE file is not where the layout puts it."""


class UnknownTaskError(InputError, KeyError):
    """A task name that is not a GLUE task (the message lists the choices)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


@dataclass(frozen=True)
class TaskSpec:
    """Layout of one GLUE task.

    Attributes:
        name: canonical lower-case task name (``"sst-2"``, ``"mnli-mm"``, ...).
        folder: folder name in the GLUE layout.
        dev_file: dev file name.
        text_a, text_b, label: header column names (or int positions for CoLA).
        labels: label strings in class-id order; ``None`` for regression.
        skip_malformed: skip (and count) rows with the wrong number of fields instead of
            failing, as the release does for QQP.
    """

    name: str
    folder: str
    dev_file: str
    text_a: str | int
    text_b: str | int | None
    label: str | int
    labels: tuple[str, ...] | None
    skip_malformed: bool = False

    @property
    def num_labels(self) -> int:
        return 1 if self.labels is None else len(self.labels)

    @property
    def is_regression(self) -> bool:
        return self.labels is None


_ENT = ("entailment", "not_entailment")
TASKS: dict[str, TaskSpec] = {
    t.name: t
    for t in [
        TaskSpec("cola", "CoLA", "dev.tsv", 3, None, 1, ("0", "1")),
        TaskSpec("sst-2", "SST-2", "dev.tsv", "sentence", None, "label", ("0", "1")),
        TaskSpec("mrpc", "MRPC", "dev.tsv", "#1 String", "#2 String", "Quality", ("0", "1")),
        TaskSpec("sts-b", "STS-B", "dev.tsv", "sentence1", "sentence2", "score", None),
        TaskSpec(
            "qqp", "QQP", "dev.tsv", "question1", "question2", "is_duplicate", ("0", "1"), True
        ),
        TaskSpec(
            "mnli",
            "MNLI",
            "dev_matched.tsv",
            "sentence1",
            "sentence2",
            "gold_label",
            ("contradiction", "entailment", "neutral"),
        ),
        TaskSpec(
            "mnli-mm",
            "MNLI",
            "dev_mismatched.tsv",
            "sentence1",
            "sentence2",
            "gold_label",
            ("contradiction", "entailment", "neutral"),
        ),
        TaskSpec("qnli", "QNLI", "dev.tsv", "question", "sentence", "label", _ENT),
        TaskSpec("rte", "RTE", "dev.tsv", "sentence1", "sentence2", "label", _ENT),
    ]
}


@dataclass
class GlueSplit:
    """One split. ``labels`` is ``int64[n]`` (class ids) or ``float32[n]`` (STS-B).

    ``skipped`` counts malformed rows left out (QQP only).
    """

    task: str
    text_a: list[str]
    text_b: list[str] | None
    labels: np.ndarray
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.text_a)


def task_spec(name: str) -> TaskSpec:
    """Looks up a task by name, case-insensitively (``SST-2``, ``sst2`` and ``sst-2`` work)."""
    key = name.lower().replace("_", "-")
    aliases = {"sst2": "sst-2", "stsb": "sts-b", "mnli-m": "mnli", "mnlimm": "mnli-mm"}
    key = aliases.get(key.replace("-", ""), aliases.get(key, key))
    if key not in TASKS:
        raise UnknownTaskError(f"unknown GLUE task {name!r}; expected one of {sorted(TASKS)}")
    return TASKS[key]


def _column(header: list[str] | None, col: str | int, path: Path) -> int:
    if isinstance(col, int):
        return col
    assert header is not None
    if col not in header:
        raise GlueFormatError(f"{path}:1: missing column {col!r}; header has {header}")
    return header.index(col)


def _parse_label(spec: TaskSpec, raw: str, path: Path, line: int) -> float | int:
    if spec.labels is None:
        try:
            return float(raw)
        except ValueError:
            raise GlueFormatError(
                f"{path}:{line}: field {spec.label!r} = {raw!r}; expected a float score"
            ) from None
    if raw not in spec.labels:
        raise GlueFormatError(
            f"{path}:{line}: field {spec.label!r} = {raw!r}; expected one of {list(spec.labels)}"
        )
    return spec.labels.index(raw)


def read_tsv(path: Path, spec: TaskSpec) -> GlueSplit:
    """Reads one GLUE TSV file.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        GlueFormatError: on a missing column, a ragged row or a bad label.
    """
    path = Path(path)
    if not path.exists():
        raise GlueFileMissing(f"{path}: GLUE file not found (task {spec.name})")
    # utf-8-sig: the GLUE download script writes MRPC's header with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    header = None if isinstance(spec.label, int) else (rows.pop(0) if rows else [])
    width = len(header) if header is not None else 4
    cols = [
        _column(header, c, path) for c in (spec.text_a, spec.text_b, spec.label) if c is not None
    ]
    text_a, text_b, labels = [], [], []
    first = 2 if header is not None else 1
    skipped = []
    for line, row in enumerate(rows, start=first):
        if not row:
            continue
        if len(row) != width:
            if spec.skip_malformed:
                skipped.append(line)
                continue
            raise GlueFormatError(
                f"{path}:{line}: {len(row)} fields; expected {width} (ragged row)"
            )
        labels.append(_parse_label(spec, row[cols[-1]], path, line))
        text_a.append(row[cols[0]])
        if spec.text_b is not None:
            text_b.append(row[cols[1]])
    if skipped:
        msg = (
            f"{path}: skipped {len(skipped)} malformed row(s) (not {width} fields; first at "
            f"line {skipped[0]}), as the release's {spec.folder} reader does"
        )
        logger.warning(msg)
        warnings.warn(msg, stacklevel=2)
    dtype = np.float32 if spec.is_regression else np.int64
    return GlueSplit(
        spec.name,
        text_a,
        text_b if spec.text_b is not None else None,
        np.asarray(labels, dtype=dtype),
        skipped=len(skipped),
    )


def load_task(glue_dir: Path, name: str) -> tuple[GlueSplit, GlueSplit]:
    """Loads ``(train, dev)`` of a task from a GLUE root or from the task's own folder.

    Args:
        glue_dir: either the GLUE root (containing ``CoLA/``, ``SST-2/``, ...) or the
            task folder itself (containing ``train.tsv``).
        name: task name, e.g. ``"rte"`` or ``"mnli-mm"``.
    """
    spec = task_spec(name)
    folder = Path(glue_dir)
    if not (folder / "train.tsv").exists():
        folder = folder / spec.folder
    return read_tsv(folder / "train.tsv", spec), read_tsv(folder / spec.dev_file, spec)
