"""The paper-tier pipeline end to end on a tiny checkpoint and tokenizer saved in the HF layout."""

import json

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from tokenizers.processors import TemplateProcessing
from transformers import PreTrainedTokenizerFast

from repro.nash.arch import count_parameters, random_t5, tiny_t5_config
from repro.nash.data import load_checkpoint, tokenize
from repro.nash.export import load_pruned
from repro.nash.methods import ExperimentConfig
from repro.nash.paper import run_paper_seed, score

WORDS = ["summarize", ":", "A", "B", "hi", "hello", "bye", "they", "greet", "part", "ways"]


def _save_tiny_checkpoint(folder):
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = Whitespace()
    tok.post_processor = TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )
    fast.save_pretrained(folder)
    random_t5(tiny_t5_config(vocab_size=32, num_layers=2), seed=0).save_pretrained(folder)


def _write_samsum(root):
    rows = [
        {"id": str(i), "dialogue": "A: hi B: hello", "summary": "they greet"} for i in range(6)
    ] + [{"id": "x", "dialogue": "A: bye B: bye", "summary": "they part ways"}]
    d = root / "nash/samsum"
    d.mkdir(parents=True)
    # The corpus release names its validation split val.json.
    for split in ("train", "val"):
        (d / f"{split}.json").write_text(json.dumps(rows))


def test_tokenize_pads_labels_with_ignore_index(tmp_path):
    _save_tiny_checkpoint(tmp_path / "nash/t5-small")
    _, tok = load_checkpoint("t5-small", tmp_path)
    from repro.nash.data import TextExample

    batch = tokenize(
        [TextExample("summarize: hi", ("they greet",)), TextExample("summarize: A", ("bye",))],
        tok,
        8,
        8,
    )
    assert batch.labels[1].tolist() == [WORDS.index("bye") + 3, 1, -100]
    assert batch.attention_mask.sum().item() == batch.input_ids.ne(0).sum().item()


def test_score_dispatch():
    from repro.nash.data import TextExample

    ex = [TextExample("q", ("yes", "yeah"))]
    assert score("tweet_qa", ["yeah"], ex)["exact_match"] == 1.0
    assert score("glue/sst2", ["yes"], ex) == {"accuracy": 1.0}
    assert set(score("samsum", ["yes"], ex)) == {"rouge1", "rouge2", "rougeL"}


def test_run_paper_seed_on_tiny_files(tmp_path):
    _save_tiny_checkpoint(tmp_path / "nash/t5-small")
    _write_samsum(tmp_path)
    cfg = ExperimentConfig(
        num_layers=2,
        teacher_steps=2,
        prune_steps=2,
        warmup_steps=1,
        final_steps=2,
        batch_size=4,
        decoder_layers=1,
        latency_repeats=1,
    )
    res = run_paper_seed(
        cfg,
        dataset="samsum",
        arch="t5-small",
        methods=["full", "nash", "decoder_only"],
        seed=0,
        max_source_len=16,
        max_target_len=8,
        n_eval=4,
        gen_len=3,
        root=tmp_path,
        save_dir=tmp_path / "kept",
    )
    wide = res.pivot_table(index="method", columns="metric", values="value")
    kept = load_pruned(tmp_path / "kept")  # NASH's model, saved for the user
    assert count_parameters(kept)["total"] == wide.loc["nash", "params"]
    assert (tmp_path / "kept/tokenizer.json").is_file()
    assert set(wide.index) == {"full", "nash", "decoder_only"}
    assert wide.loc["nash", "params"] < wide.loc["full", "params"]
    assert ((wide[["rouge1", "rougeL"]] >= 0) & (wide[["rouge1", "rougeL"]] <= 1)).all().all()
    assert wide.loc["decoder_only", "speedup"] > 0
