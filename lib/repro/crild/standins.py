"""Tiny stand-ins, in the exact published formats, for the CR-ILD data-manifest entries.

``repro data rehearse`` calls :func:`write_standins` to rehearse the paper tier without the
real data: every file a manifest entry lists (``data_manifests/cr_ild.yaml``) is written at
its path under ``data_dir``, in the layout the real file has, but a few rows long:

* BERT checkpoints in the Hugging Face layout: ``config.json`` and ``model.safetensors`` of a
  tiny ``BertForPreTraining`` (keys prefixed ``bert.``, ``cls.*`` heads included, as
  bert-base-uncased ships), and a working WordPiece tokenizer built offline (``vocab.txt``,
  ``tokenizer.json``, ``tokenizer_config.json``; ``AutoTokenizer`` loads it);
* GLUE TSVs as the GLUE download script leaves them: CoLA without a header, MRPC with the
  byte-order mark before ``Quality``, QQP with one malformed row, STS-B's ten columns,
  MNLI's matched and mismatched dev files.

The numbers a stand-in produces are meaningless; it only proves the code path runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

from repro.core.errors import InputError

MANIFEST = "cr_ild.yaml"
#: Rows per stand-in split.
N_TRAIN, N_DEV = 24, 16

_TEXT = (
    "the a movie film plot story cast music acting ending was is seemed felt very really quite "
    "not never good great fine nice bad poor dull boring weak strong man woman child teacher "
    "doctor dog cat plane car park school city river question answer what why how who does do "
    "can people think say that this it and but or of in on at to by with from for"
)
_WORDS = tuple(_TEXT.split())
_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


class StandinError(InputError):
    """An entry has no stand-in writer; the message names it and lists the known ones."""


def _vocab() -> list[str]:
    """Specials, words, punctuation, single letters and ``##`` letters: any text tokenizes."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]
    punct = list(".,?!'\"-:;()")
    return [*_SPECIALS, *_WORDS, *punct, *letters, *(f"##{c}" for c in letters)]


def write_tiny_bert(folder: Path, seed: int = 0, num_layers: int = 4) -> list[Path]:
    """A tiny uncased BERT checkpoint with its tokenizer, in the Hugging Face layout.

    Args:
        folder: target folder (created).
        seed: weight initialisation seed.
        num_layers: encoder layers (the student keeps the bottom ones).

    Returns:
        The files written, sorted.
    """
    import torch
    from transformers import BertConfig, BertForPreTraining

    from repro.crild.models import wordpiece_tokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = _vocab()
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tok = wordpiece_tokenizer(folder / "vocab.txt")
    tok.model_max_length = 512
    tok.save_pretrained(str(folder))
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertForPreTraining(config)
    model.save_pretrained(str(folder), safe_serialization=True)
    return sorted(p for p in folder.iterdir() if p.is_file())


def _sentence(rng: random.Random, lo: int = 4, hi: int = 9) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize() + "."


def _write(path: Path, header: str | None, rows: list[list[str]], bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ([header] if header is not None else []) + ["\t".join(r) for r in rows]
    text = "\n".join(lines) + "\n"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def _cola(path: Path, rng: random.Random, n: int) -> Path:
    rows = []
    for _ in range(n):
        label = rng.randint(0, 1)
        rows.append(["gj04", str(label), "" if label else "*", _sentence(rng)])
    return _write(path, None, rows)


def _sst2(path: Path, rng: random.Random, n: int) -> Path:
    rows = [[_sentence(rng).lower().rstrip(".") + " ", str(rng.randint(0, 1))] for _ in range(n)]
    return _write(path, "sentence\tlabel", rows)


def _mrpc(path: Path, rng: random.Random, n: int) -> Path:
    rows = [
        [str(rng.randint(0, 1)), str(rng.randint(10**5, 10**6)), str(rng.randint(10**5, 10**6)),
         _sentence(rng), _sentence(rng)]
        for _ in range(n)
    ]  # fmt: skip
    return _write(path, "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String", rows, bom=True)


def _stsb(path: Path, rng: random.Random, n: int) -> Path:
    header = (
        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore"
    )
    rows = [
        [str(i), "main-captions", "MSRvid", "2012test", f"{i + 1:04d}", "none", "none",
         _sentence(rng), _sentence(rng), f"{rng.uniform(0, 5):.3f}"]
        for i in range(n)
    ]  # fmt: skip
    return _write(path, header, rows)


def _qqp(path: Path, rng: random.Random, n: int) -> Path:
    rows = [
        [str(i), str(2 * i + 1), str(2 * i + 2), _sentence(rng)[:-1] + "?",
         _sentence(rng)[:-1] + "?", str(rng.randint(0, 1))]
        for i in range(n)
    ]  # fmt: skip
    if path.name == "train.tsv":
        # QQP's train.tsv has rows cut short by a newline inside a question; the release skips them.
        rows.insert(n // 2, [str(n), str(2 * n + 1), "how does it work"])
    return _write(path, "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate", rows)


def _pairs(path: Path, rng: random.Random, n: int, a: str, b: str, labels: Sequence[str]) -> Path:
    rows = [[str(i), _sentence(rng), _sentence(rng), rng.choice(labels)] for i in range(n)]
    return _write(path, f"index\t{a}\t{b}\tlabel", rows)


def _mnli(path: Path, rng: random.Random, n: int) -> Path:
    labels = ("contradiction", "entailment", "neutral")
    dev = path.name != "train.tsv"
    n_votes = 5 if dev else 1
    header = [
        "index", "promptID", "pairID", "genre", "sentence1_binary_parse",
        "sentence2_binary_parse", "sentence1_parse", "sentence2_parse", "sentence1", "sentence2",
        *(f"label{k + 1}" for k in range(n_votes)), "gold_label",
    ]  # fmt: skip
    rows = []
    for i in range(n):
        s1, s2, gold = _sentence(rng), _sentence(rng), rng.choice(labels)
        rows.append(
            [str(i), str(1000 + i), f"{1000 + i}e", "fiction", f"( {s1} )", f"( {s2} )",
             f"(ROOT {s1})", f"(ROOT {s2})", s1, s2, *([gold] * n_votes), gold]
        )  # fmt: skip
    return _write(path, "\t".join(header), rows)


_ENT = ("entailment", "not_entailment")
#: GLUE folder -> writer of one TSV file.
_GLUE: dict[str, Callable[[Path, random.Random, int], Path]] = {
    "CoLA": _cola,
    "SST-2": _sst2,
    "MRPC": _mrpc,
    "STS-B": _stsb,
    "QQP": _qqp,
    "MNLI": _mnli,
    "QNLI": lambda p, r, n: _pairs(p, r, n, "question", "sentence", _ENT),
    "RTE": lambda p, r, n: _pairs(p, r, n, "sentence1", "sentence2", _ENT),
}


def write_standins(data_dir: Path, entries: Sequence[str], seed: int = 0) -> list[Path]:
    """Writes stand-ins for the named ``cr_ild`` manifest entries at their manifest paths.

    Args:
        data_dir: the data root the paths of ``data_manifests/cr_ild.yaml`` are relative to.
        entries: manifest entry names (``crild_bert_base_uncased``, ``glue_rte``, ...);
            entries without files (synthetic data, the bundled MiniLM) need no stand-in.
        seed: seed of weights and rows (the same seed writes the same bytes).

    Returns:
        Every file written, in order.

    Raises:
        StandinError: an entry that is not in the manifest or has no stand-in writer.
    """
    from repro.core.manifests import load_manifest, manifest_dir

    known = {e.name: e for e in load_manifest(manifest_dir() / MANIFEST)}
    data_dir = Path(data_dir)
    written: list[Path] = []
    for name in entries:
        if name not in known:
            raise StandinError(
                f"{MANIFEST}: no entry {name!r} to stand in for; known: {sorted(known)}"
            )
        entry = known[name]
        if not entry.files:
            continue
        if entry.kind == "checkpoint":
            folders = sorted({str(Path(f.path).parent) for f in entry.files})
            for folder in folders:
                written += write_tiny_bert(data_dir / folder, seed=seed)
            continue
        for spec in entry.files:
            parts = Path(spec.path).parts
            task = parts[-2]
            if "glue" not in parts or task not in _GLUE:
                raise StandinError(f"{MANIFEST}: entry {name!r} file {spec.path}: no writer")
            rng = random.Random(f"{seed}/{spec.path}")
            n = N_TRAIN if parts[-1] == "train.tsv" else N_DEV
            written.append(_GLUE[task](data_dir / spec.path, rng, n))
    return written
