"""Paper-tier loaders on tiny files in the release formats, and a tiny HF checkpoint."""

import json

import pytest
import torch

from repro.nash.arch import random_t5, tiny_t5_config
from repro.nash.data import checkpoint_dir, load_checkpoint, load_dataset


def _write_json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


def _write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_samsum(tmp_path):
    _write_json(
        tmp_path / "nash/samsum/train.json",
        [{"id": "1", "dialogue": "A: hi\nB: hello", "summary": "They greet."}],
    )
    ex = load_dataset("samsum", "train", tmp_path)
    assert ex[0].source == "summarize: A: hi\nB: hello" and ex[0].target == "They greet."


def test_xsum_and_cnn(tmp_path):
    _write_jsonl(
        tmp_path / "nash/xsum/validation.jsonl", [{"id": "a", "document": "Doc.", "summary": "S."}]
    )
    _write_jsonl(
        tmp_path / "nash/cnn_dailymail/test.jsonl",
        [{"id": "b", "article": "Art.", "highlights": "H1.\nH2."}] * 2,
    )
    assert load_dataset("xsum", "validation", tmp_path)[0].target == "S."
    cnn = load_dataset("cnn_dailymail", "test", tmp_path)
    assert len(cnn) == 2 and cnn[1].source == "summarize: Art."


def test_tweet_qa_keeps_all_answers(tmp_path):
    _write_json(
        tmp_path / "nash/tweet_qa/dev.json",
        [{"qid": "q", "Tweet": "Go team!", "Question": "who?", "Answer": ["team", "the team"]}],
    )
    ex = load_dataset("tweet_qa", "dev", tmp_path)[0]
    assert ex.source == "question: who? context: Go team!" and ex.references == ("team", "the team")


def test_glue_tsv_labels_are_words(tmp_path):
    d = tmp_path / "nash/glue/SST-2"
    d.mkdir(parents=True)
    (d / "train.tsv").write_text("sentence\tlabel\ngood film \t1\nbad\t0\n")
    ex = load_dataset("glue/sst2", "train", tmp_path)
    assert [e.target for e in ex] == ["positive", "negative"]
    assert ex[0].source == "sst2 sentence: good film "


def test_glue_stsb_rounds_scores(tmp_path):
    d = tmp_path / "nash/glue/STS-B"
    d.mkdir(parents=True)
    (d / "dev.tsv").write_text("sentence1\tsentence2\tscore\na\tb\t3.27\n")
    assert load_dataset("glue/stsb", "dev", tmp_path)[0].target == "3.2"


def test_superglue_boolq(tmp_path):
    _write_jsonl(
        tmp_path / "nash/superglue/BoolQ/val.jsonl",
        [{"question": "is it?", "passage": "It is.", "idx": 0, "label": True}],
    )
    ex = load_dataset("superglue/boolq", "val", tmp_path)[0]
    assert ex.target == "True" and ex.source.startswith("boolq question: is it?")


def test_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"samsum/test\.json: missing"):
        load_dataset("samsum", "test", tmp_path)


def test_missing_field_names_file_row_and_field(tmp_path):
    _write_json(tmp_path / "nash/samsum/train.json", [{"id": "1", "dialog": "x", "summary": "y"}])
    with pytest.raises(ValueError, match=r"train\.json: row 0 has no field 'dialogue'"):
        load_dataset("samsum", "train", tmp_path)


def test_wrong_field_type(tmp_path):
    _write_json(
        tmp_path / "nash/tweet_qa/train.json",
        [{"qid": "q", "Tweet": "t", "Question": "q", "Answer": "not a list"}],
    )
    with pytest.raises(ValueError, match="field 'Answer' is str"):
        load_dataset("tweet_qa", "train", tmp_path)


def test_not_a_list(tmp_path):
    _write_json(tmp_path / "nash/samsum/train.json", {"id": "1"})
    with pytest.raises(ValueError, match="expected a JSON list"):
        load_dataset("samsum", "train", tmp_path)


def test_bad_jsonl_line(tmp_path):
    p = tmp_path / "nash/xsum/train.jsonl"
    p.parent.mkdir(parents=True)
    p.write_text('{"document": "a", "summary": "b"}\n{oops\n')
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        load_dataset("xsum", "train", tmp_path)


def test_unknown_dataset(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("squad", "train", tmp_path)


def test_checkpoint_round_trip(tmp_path):
    model = random_t5(tiny_t5_config(), seed=0)
    model.save_pretrained(tmp_path / "nash/t5-small")
    loaded, tok = load_checkpoint("t5-small", tmp_path, with_tokenizer=False)
    assert tok is None
    x = torch.randint(2, 64, (1, 4))
    with torch.no_grad():
        assert torch.allclose(
            model(input_ids=x, labels=x).logits, loaded(input_ids=x, labels=x).logits
        )


def test_checkpoint_without_weights(tmp_path):
    d = tmp_path / "nash/t5-base"
    d.mkdir(parents=True)
    (d / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"no model\.safetensors"):
        checkpoint_dir("t5-base", tmp_path)


def test_checkpoint_missing_config(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"t5-large/config\.json: missing"):
        checkpoint_dir("t5-large", tmp_path)
