"""Paper-tier inputs: T5 checkpoints and the NASH datasets in their release formats.

Layout under ``data_root()/nash/`` (see ``data_manifests/nash.yaml``)::

    t5-small/ t5-base/ t5-large/        Hugging Face layout (config, weights, tokenizer)
    samsum/{train,val,test}.json        list of {"id", "dialogue", "summary"} (corpus release)
    xsum/{train,validation,test}.jsonl  one {"id", "document", "summary"} per line
    cnn_dailymail/{train,validation,test}.jsonl  one {"id", "article", "highlights"} per line
    tweet_qa/{train,dev}.json           list of {"qid", "Tweet", "Question", "Answer": [...]}
    glue/<TASK>/{train,dev}.tsv         GLUE release TSVs (header row)
    superglue/<Task>/{train,val}.jsonl  SuperGLUE release JSONL

Every example becomes a :class:`TextExample` with a T5-style source ("summarize: ...",
"question: ... context: ...", "sst2 sentence: ...") and its reference(s);
classification labels are verbalised as words, as the release does.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from repro.core.paths import data_root


@dataclass(frozen=True)
class TextExample:
    """One input text and its reference outputs (several for TweetQA)."""

    source: str
    references: tuple[str, ...]

    @property
    def target(self) -> str:
        """The first reference, used as the training target."""
        return self.references[0]


def nash_root(root: str | Path | None = None) -> Path:
    """``<root>/nash`` where ``root`` defaults to :func:`repro.core.paths.data_root`."""
    return Path(root) / "nash" if root is not None else data_root() / "nash"


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; expected {what} (see data_manifests/nash.yaml)")
    return path


def _field(row: dict, name: str, path: Path, line: int, kind: type | tuple = str):
    if name not in row:
        raise ValueError(
            f"{path}: row {line} has no field {name!r}; expected fields include {name!r}"
        )
    value = row[name]
    if not isinstance(value, kind):
        raise ValueError(
            f"{path}: row {line} field {name!r} is {type(value).__name__}, expected {kind}"
        )
    return value


def _read_json_list(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of objects, got {type(data).__name__}")
    return data


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}: line {i + 1} is not valid JSON ({err.msg})") from err
    return rows


def _read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


SUMMARISATION = {
    # name: (folder, file pattern, reader, source field, target field)
    "samsum": ("samsum", "{split}.json", _read_json_list, "dialogue", "summary"),
    "xsum": ("xsum", "{split}.jsonl", _read_jsonl, "document", "summary"),
    "cnn_dailymail": ("cnn_dailymail", "{split}.jsonl", _read_jsonl, "article", "highlights"),
}


def load_summarisation(name: str, split: str, root: str | Path | None = None) -> list[TextExample]:
    """SAMSum, XSum or CNN/DailyMail as ``summarize: <text>`` -> summary examples."""
    if name not in SUMMARISATION:
        raise ValueError(
            f"unknown summarisation dataset {name!r}; expected one of {sorted(SUMMARISATION)}"
        )
    folder, pattern, _, src, tgt = SUMMARISATION[name]
    path = _require(
        nash_root(root) / folder / pattern.format(split=split),
        f"{name} split {split!r} with fields {src!r}, {tgt!r}",
    )
    return read_summarisation_file(name, path)


def read_summarisation_file(name: str, path: Path) -> list[TextExample]:
    """One file of SAMSum, XSum or CNN/DailyMail (release format) as examples."""
    _, _, reader, src, tgt = SUMMARISATION[name]
    out = []
    for i, row in enumerate(reader(path)):
        text, summary = _field(row, src, path, i), _field(row, tgt, path, i)
        out.append(TextExample(f"summarize: {text}", (summary,)))
    return out


def load_tweet_qa(split: str, root: str | Path | None = None) -> list[TextExample]:
    """TweetQA as ``question: <q> context: <tweet>`` -> answers (the test split has none)."""
    path = _require(
        nash_root(root) / "tweet_qa" / f"{split}.json",
        "TweetQA JSON list with 'Question', 'Tweet', 'Answer'",
    )
    out = []
    for i, row in enumerate(_read_json_list(path)):
        q, tweet = _field(row, "Question", path, i), _field(row, "Tweet", path, i)
        answers = _field(row, "Answer", path, i, list)
        if not answers:
            raise ValueError(
                f"{path}: row {i} field 'Answer' is empty; expected at least one answer"
            )
        out.append(TextExample(f"question: {q} context: {tweet}", tuple(answers)))
    return out


# task: (folder, text fields in source order, label field, label words (index = label id) or None)
GLUE_TASKS = {
    "cola": ("CoLA", ("sentence",), "label", ("unacceptable", "acceptable")),
    "sst2": ("SST-2", ("sentence",), "label", ("negative", "positive")),
    "mrpc": ("MRPC", ("#1 String", "#2 String"), "Quality", ("not_equivalent", "equivalent")),
    "qqp": ("QQP", ("question1", "question2"), "is_duplicate", ("not_duplicate", "duplicate")),
    "mnli": ("MNLI", ("premise", "hypothesis"), "gold_label", None),
    "qnli": ("QNLI", ("question", "sentence"), "label", None),
    "rte": ("RTE", ("sentence1", "sentence2"), "label", None),
    "stsb": ("STS-B", ("sentence1", "sentence2"), "score", None),
}
SUPERGLUE_TASKS = {
    "boolq": ("BoolQ", ("question", "passage"), "label"),
    "cb": ("CB", ("premise", "hypothesis"), "label"),
    "rte": ("RTE", ("premise", "hypothesis"), "label"),
}


def _glue_label(task: str, value: str, words) -> str:
    if words is not None:
        return words[int(value)]
    if task == "stsb":  # T5 rounds similarity scores to multiples of 0.2
        return f"{round(float(value) * 5) / 5:.1f}"
    return value  # MNLI / QNLI / RTE labels are already words


def load_glue(task: str, split: str, root: str | Path | None = None) -> list[TextExample]:
    """A GLUE task from the release TSVs, as ``<task> <field>: <text> ...`` -> label word."""
    if task not in GLUE_TASKS:
        raise ValueError(f"unknown GLUE task {task!r}; expected one of {sorted(GLUE_TASKS)}")
    folder, fields, label, words = GLUE_TASKS[task]
    path = _require(
        nash_root(root) / "glue" / folder / f"{split}.tsv", f"GLUE {task} TSV with {fields}"
    )
    out = []
    for i, row in enumerate(_read_tsv(path)):
        parts = [
            f"{f.replace('#', '').replace(' ', '').lower()}: {_field(row, f, path, i)}"
            for f in fields
        ]
        out.append(
            TextExample(
                f"{task} " + " ".join(parts),
                (_glue_label(task, _field(row, label, path, i), words),),
            )
        )
    return out


def load_superglue(task: str, split: str, root: str | Path | None = None) -> list[TextExample]:
    """A SuperGLUE task from the release JSONL (BoolQ labels become "True"/"False")."""
    if task not in SUPERGLUE_TASKS:
        raise ValueError(
            f"unknown SuperGLUE task {task!r}; expected one of {sorted(SUPERGLUE_TASKS)}"
        )
    folder, fields, label = SUPERGLUE_TASKS[task]
    path = _require(
        nash_root(root) / "superglue" / folder / f"{split}.jsonl", f"SuperGLUE {task} JSONL"
    )
    out = []
    for i, row in enumerate(_read_jsonl(path)):
        parts = [f"{f}: {_field(row, f, path, i)}" for f in fields]
        value = _field(row, label, path, i, (str, bool, int))
        out.append(TextExample(f"{task} " + " ".join(parts), (str(value),)))
    return out


def load_dataset(name: str, split: str, root: str | Path | None = None) -> list[TextExample]:
    """Load samsum, xsum, cnn_dailymail, tweet_qa, glue/<task> or superglue/<task>."""
    if name in SUMMARISATION:
        return load_summarisation(name, split, root)
    if name == "tweet_qa":
        return load_tweet_qa(split, root)
    if name.startswith("glue/"):
        return load_glue(name.split("/", 1)[1], split, root)
    if name.startswith("superglue/"):
        return load_superglue(name.split("/", 1)[1], split, root)
    raise ValueError(f"unknown dataset {name!r}")


def checkpoint_dir(arch: str, root: str | Path | None = None) -> Path:
    """``<data_root>/nash/<arch>``, checked to hold a Hugging Face ``config.json`` and weights."""
    path = nash_root(root) / arch
    _require(path / "config.json", f"a Hugging Face T5 checkpoint folder for {arch}")
    if not any((path / f).is_file() for f in ("model.safetensors", "pytorch_model.bin")):
        raise FileNotFoundError(
            f"{path}: no model.safetensors or pytorch_model.bin; expected {arch} weights"
        )
    return path


def load_checkpoint(arch: str, root: str | Path | None = None, with_tokenizer: bool = True):
    """``(model, tokenizer)`` from :func:`checkpoint_dir` (tokenizer ``None`` if not wanted)."""
    from transformers import AutoTokenizer, T5ForConditionalGeneration
    from transformers.utils import logging as hf_logging

    path = checkpoint_dir(arch, root)
    # A book page shows no progress bars: loading is quiet, then the setting is restored.
    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = T5ForConditionalGeneration.from_pretrained(path).eval()
        tokenizer = AutoTokenizer.from_pretrained(path) if with_tokenizer else None
    finally:
        if shown:
            hf_logging.enable_progress_bar()
    return model, tokenizer


def tokenize(examples: list[TextExample], tokenizer, max_source_len: int, max_target_len: int):
    """A :class:`repro.nash.synthetic.Seq2SeqBatch` (labels padded with -100)."""
    from repro.nash.synthetic import Seq2SeqBatch

    enc = tokenizer(
        [e.source for e in examples],
        max_length=max_source_len,
        truncation=True,
        padding="longest",
        return_tensors="pt",
    )
    lab = tokenizer(
        [e.target for e in examples],
        max_length=max_target_len,
        truncation=True,
        padding="longest",
        return_tensors="pt",
    )["input_ids"]
    lab[lab == tokenizer.pad_token_id] = -100
    return Seq2SeqBatch(enc["input_ids"], enc["attention_mask"], lab)
