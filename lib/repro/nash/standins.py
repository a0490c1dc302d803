"""Tiny stand-ins, in the published formats, for NASH's paper-tier data (the rehearsal).

``write_standins(data_dir, entries)`` writes, for each named entry of
``data_manifests/nash.yaml``, small files at exactly the paths the entry lists:

* checkpoints (``nash_t5_small/base/large``): a random tiny T5 saved with
  ``T5ForConditionalGeneration.save_pretrained`` (``config.json``, ``model.safetensors``,
  ``generation_config.json``) and a working tokenizer built offline: a Unigram model
  trained with the ``tokenizers`` library on the stand-in texts, saved as ``tokenizer.json``
  (loaded by ``T5TokenizerFast``) and as a SentencePiece ``spiece.model`` protobuf with the
  same pieces and scores;
* datasets: SAMSum JSON lists, XSum / CNN-DM JSON lines, TweetQA JSON lists, GLUE TSVs and
  SuperGLUE JSON lines, with the fields :mod:`repro.nash.data` reads.

The texts are made-up sentences over a small word list: they exercise the code paths, and
every number computed from them is meaningless.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from repro.core.atomic import atomic_write_text
from repro.core.errors import InputError
from repro.core.seeding import derive_seed

# fmt: off
WORDS = (
    "anna", "ben", "chris", "dana", "meet", "call", "lunch", "today", "tomorrow", "office",
    "park", "movie", "late", "sorry", "thanks", "great", "plan", "dinner", "train", "home",
    "rain", "sun", "weekend", "friday", "book", "ticket", "send", "photo",
)
# fmt: on
SPECIALS = ("<pad>", "</s>", "<unk>")  # ids 0, 1, 2 as in T5
EXTRA_IDS = 100  # T5's sentinel tokens <extra_id_0..99>, appended after the pieces
TINY_T5 = {"d_model": 16, "d_ff": 32, "num_heads": 2, "num_layers": 2}
N_ROWS = {"train": 24, "eval": 8}


class StandinError(InputError):
    """A requested entry has no stand-in writer."""


def _sentence(rng: np.random.Generator, n: int) -> str:
    return " ".join(rng.choice(WORDS, size=n).tolist())


def _texts(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """``n`` (document, summary) pairs: the summary is the document's first words."""
    out = []
    for _ in range(n):
        doc = _sentence(rng, int(rng.integers(8, 16)))
        out.append((doc, " ".join(doc.split()[: int(rng.integers(2, 5))])))
    return out


def _split_of(path: str) -> str:
    return "train" if Path(path).stem == "train" else "eval"


def _write(data_dir: Path, rel: str, text: str) -> Path:
    path = Path(data_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path


def _samsum(rel: str, rng: np.random.Generator) -> str:
    rows = [
        {"id": f"s{i}", "dialogue": f"Anna: {doc}\r\nBen: thanks", "summary": summ}
        for i, (doc, summ) in enumerate(_texts(rng, N_ROWS[_split_of(rel)]))
    ]
    return json.dumps(rows, indent=1)


def _jsonl(src: str, tgt: str) -> Callable[[str, np.random.Generator], str]:
    def write(rel: str, rng: np.random.Generator) -> str:
        rows = [
            {"id": f"x{i}", src: doc, tgt: summ}
            for i, (doc, summ) in enumerate(_texts(rng, N_ROWS[_split_of(rel)]))
        ]
        return "".join(json.dumps(r) + "\n" for r in rows)

    return write


def _tweet_qa(rel: str, rng: np.random.Generator) -> str:
    rows = []
    for i, (doc, summ) in enumerate(_texts(rng, N_ROWS[_split_of(rel)])):
        rows.append({"qid": f"q{i}", "Tweet": doc, "Question": "who?", "Answer": [summ]})
    return json.dumps(rows)


def _glue(rel: str, rng: np.random.Generator) -> str:
    n = N_ROWS[_split_of(rel)]
    buf = io.StringIO()
    out = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
    if "/SST-2/" in rel:
        out.writerow(["sentence", "label"])
        out.writerows([_sentence(rng, 6), int(rng.integers(0, 2))] for _ in range(n))
    else:  # RTE
        out.writerow(["index", "sentence1", "sentence2", "label"])
        labels = ("entailment", "not_entailment")
        out.writerows(
            [i, _sentence(rng, 8), _sentence(rng, 4), labels[int(rng.integers(0, 2))]]
            for i in range(n)
        )
    return buf.getvalue()


def _superglue(rel: str, rng: np.random.Generator) -> str:
    n = N_ROWS[_split_of(rel)]
    if "/BoolQ/" in rel:
        rows = [
            {"question": _sentence(rng, 4), "passage": _sentence(rng, 10), "idx": i,
             "label": bool(rng.integers(0, 2))}
            for i in range(n)
        ]  # fmt: skip
    else:  # CB
        labels = ("entailment", "contradiction", "neutral")
        rows = [
            {"premise": _sentence(rng, 8), "hypothesis": _sentence(rng, 4), "idx": i,
             "label": labels[int(rng.integers(0, 3))]}
            for i in range(n)
        ]  # fmt: skip
    return "".join(json.dumps(r) + "\n" for r in rows)


DATASET_WRITERS: dict[str, Callable[[str, np.random.Generator], str]] = {
    "nash_samsum": _samsum,
    "nash_xsum": _jsonl("document", "summary"),
    "nash_cnn_dailymail": _jsonl("article", "highlights"),
    "nash_tweet_qa": _tweet_qa,
    "nash_glue": _glue,
    "nash_superglue": _superglue,
}
CHECKPOINTS = ("nash_t5_small", "nash_t5_base", "nash_t5_large")


def _corpus(seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [_sentence(rng, 12) for _ in range(200)] + [
        "summarize: question: context: Anna: Ben: who?"
    ]


def train_tokenizer(seed: int = 0, vocab_size: int = 96):
    """A T5-style Unigram ``tokenizers.Tokenizer`` (pad 0, EOS 1, unk 2, EOS appended)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=list(SPECIALS), unk_token="<unk>"
    )
    tok.train_from_iterator(_corpus(seed), trainer=trainer)
    tok.add_special_tokens([f"<extra_id_{i}>" for i in range(EXTRA_IDS)])
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    return tok


def spiece_model_bytes(pieces: Sequence[tuple[str, float]]) -> bytes:
    """A SentencePiece ``ModelProto`` (unigram) holding ``pieces`` in order, serialised."""
    from transformers.utils import sentencepiece_model_pb2_new as sp

    model = sp.ModelProto()
    kinds = {"<pad>": 3, "</s>": 3, "<unk>": 2}  # CONTROL, CONTROL, UNKNOWN; else NORMAL
    for piece, score in pieces:
        p = model.pieces.add()
        p.piece, p.score, p.type = piece, float(score), kinds.get(piece, 1)
    spec = model.trainer_spec
    spec.model_type, spec.vocab_size = 1, len(pieces)  # UNIGRAM
    spec.pad_id, spec.eos_id, spec.unk_id, spec.bos_id = 0, 1, 2, -1
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = True
    model.normalizer_spec.escape_whitespaces = True
    return model.SerializeToString()


def _write_checkpoint(folder: Path, seed: int) -> list[Path]:
    """Tiny random T5 + tokenizer in the Hugging Face layout under ``folder``."""
    from transformers import GenerationConfig, T5TokenizerFast

    from repro.nash.arch import random_t5, tiny_t5_config

    tok = train_tokenizer(seed)
    fast = T5TokenizerFast(tokenizer_object=tok, extra_ids=0, additional_special_tokens=[
        f"<extra_id_{i}>" for i in range(EXTRA_IDS)])  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(folder)
    model = random_t5(tiny_t5_config(vocab_size=len(fast), **TINY_T5), seed=seed)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1
    )
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(folder)
    finally:
        if shown:
            hf_logging.enable_progress_bar()
    vocab = json.loads(tok.to_str())["model"]["vocab"]
    (folder / "spiece.model").write_bytes(spiece_model_bytes([(p, s) for p, s in vocab]))
    return sorted(p for p in folder.iterdir() if p.is_file())


def write_standins(data_dir: Path, entries: Sequence[str], seed: int = 0) -> list[Path]:
    """Write stand-ins for the NASH manifest ``entries`` under ``data_dir``; return the paths.

    Raises:
        StandinError: for an entry of another paper or one without a writer.
    """
    from repro.core.manifests import load_all

    manifest = load_all()
    written: list[Path] = []
    for name in entries:
        if name not in manifest or not name.startswith("nash_"):
            raise StandinError(f"data_manifests/nash.yaml: no NASH entry {name!r}")
        entry = manifest[name]
        if entry.kind == "synthetic":
            continue  # generated by the notebooks themselves
        if name in CHECKPOINTS:
            folder = Path(data_dir) / Path(entry.files[0].path).parent
            files = _write_checkpoint(folder, seed)
            listed = {Path(data_dir) / f.path for f in entry.files}
            written += [p for p in files if p in listed]
        elif name in DATASET_WRITERS:
            rng = np.random.default_rng(derive_seed(seed, name))
            written += [
                _write(data_dir, f.path, DATASET_WRITERS[name](f.path, rng)) for f in entry.files
            ]
        else:
            raise StandinError(f"data_manifests/nash.yaml: entry {name!r} has no stand-in writer")
    return written
