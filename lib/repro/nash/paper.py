"""Paper tier: NASH and baselines on a real dataset from a pretrained T5 checkpoint.

Same stages as the offline tier (:mod:`repro.nash.methods`): fine-tune the
teacher, compress, fine-tune, then score generations and time them against
the teacher. Inputs come from ``data_root()`` (:mod:`repro.nash.data`). This
path needs a GPU for the paper's sizes; it is exercised in the tests on a tiny
checkpoint saved in the Hugging Face layout.
"""

from __future__ import annotations

import copy

import pandas as pd
import torch

from repro.core.seeding import derive_seed
from repro.nash.arch import count_parameters
from repro.nash.data import TextExample, load_checkpoint, load_dataset, tokenize
from repro.nash.latency import GenerationSetup, measure
from repro.nash.methods import (
    ExperimentConfig,
    compress_keeping,
    kept_method,
    save_compressed,
    training_steps,
)
from repro.nash.metrics import accuracy, exact_match, rouge
from repro.nash.prune import structure
from repro.nash.sparsity import achieved_sparsity
from repro.nash.train import finetune, greedy_decode

#: Generation length per dataset in the release's ``evaluation.py`` (max_length).
GENERATION_LENGTH = {"samsum": 150, "cnn_dailymail": 150, "xsum": 150, "tweet_qa": 20}
#: Beams: greedy everywhere except CNN/DM (beam 4).
NUM_BEAMS = {"cnn_dailymail": 4}
#: Evaluation split as each release names it (file stem under ``data_root()/nash/<dataset>``).
EVAL_SPLITS = {"samsum": "val", "tweet_qa": "dev", "glue/": "dev", "superglue/": "val"}


def default_eval_split(dataset: str) -> str:
    """The file stem of ``dataset``'s validation split, e.g. ``"val"`` for SAMSum."""
    for prefix, split in EVAL_SPLITS.items():
        if dataset == prefix or (prefix.endswith("/") and dataset.startswith(prefix)):
            return split
    return "validation"


def score(dataset: str, predictions: list[str], examples: list[TextExample]) -> dict[str, float]:
    """ROUGE for summarisation, ROUGE-L + exact match for TweetQA, accuracy for GLUE/SuperGLUE."""
    refs = [e.target for e in examples]
    if dataset.startswith(("glue/", "superglue/")):
        return {"accuracy": accuracy(predictions, refs)}
    if dataset == "tweet_qa":
        return {
            "rougeL": rouge(predictions, refs)["rougeL"],
            "exact_match": exact_match(predictions, [list(e.references) for e in examples]),
        }
    return rouge(predictions, refs)


def run_paper_seed(
    cfg: ExperimentConfig,
    *,
    dataset: str,
    arch: str,
    methods: list[str],
    seed: int,
    max_source_len: int = 128,
    max_target_len: int = 128,
    eval_split: str | None = None,
    n_train: int | None = None,
    n_eval: int | None = None,
    gen_len: int | None = None,
    device: str = "cpu",
    root=None,
    save_dir=None,
) -> pd.DataFrame:
    """All ``methods`` on ``dataset`` for one seed; long table ``method, seed, metric, value``.

    ``cfg`` supplies steps, learning rates, batch size, target sparsity, k and
    distillation settings (its synthetic-task fields are ignored). ``gen_len``
    overrides the release's generation length for the dataset (:data:`GENERATION_LENGTH`);
    ``eval_split`` defaults to the release's validation file (:func:`default_eval_split`). Every
    model, batch and mask lives on ``device``. With ``save_dir``, NASH's pruned model and the
    tokenizer are saved there (:mod:`repro.nash.export`).
    """
    base, tok = load_checkpoint(arch, root)
    train_ex = load_dataset(dataset, "train", root)[:n_train]
    eval_ex = load_dataset(dataset, eval_split or default_eval_split(dataset), root)[:n_eval]
    train = tokenize(train_ex, tok, max_source_len, max_target_len)
    evald = tokenize(eval_ex, tok, max_source_len, max_target_len)
    teacher = copy.deepcopy(base).to(device).train()
    finetune(
        teacher,
        train,
        steps=cfg.teacher_steps,
        lr=cfg.lr,
        batch_size=cfg.batch_size,
        seed=derive_seed(seed, "teacher"),
    )
    gen_len = gen_len or GENERATION_LENGTH.get(dataset, 8)
    rows, models = [], {}
    for m in methods:
        result = compress_keeping(m, teacher, train, cfg, seed)
        model = models[m] = result.model
        if save_dir is not None and m == kept_method(methods):
            save_compressed(result, save_dir, tok, info={"method": m, "seed": seed})
        out = greedy_decode(model, evald, max_new_tokens=gen_len, batch_size=32)
        preds = tok.batch_decode(out, skip_special_tokens=True)
        metrics = {
            **score(dataset, preds, eval_ex),
            "params": count_parameters(model)["total"],
            "steps": training_steps(m, cfg),
            **achieved_sparsity(structure(model), teacher.config),
        }
        rows += [
            {"method": m, "seed": seed, "metric": k, "value": float(v)} for k, v in metrics.items()
        ]
    setup = GenerationSetup(
        batch=min(32, len(evald)),
        input_len=max_source_len,
        output_len=gen_len,
        num_beams=NUM_BEAMS.get(dataset, 1),
    )
    timed = {"full": models.get("full", teacher), **{m: models[m] for m in methods if m != "full"}}
    with torch.no_grad():
        recs = measure(
            timed, setup, reference="full", repeats=cfg.latency_repeats, seed=seed, with_parts=False
        )
    for rec in recs:
        if rec["config"] in methods:
            for key in ("median_ms", "iqr_ms", "speedup"):
                rows.append(
                    {"method": rec["config"], "seed": seed, "metric": key, "value": rec[key]}
                )
    return pd.DataFrame(rows)
