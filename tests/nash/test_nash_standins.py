"""Stand-ins for the paper tier: written at the manifest paths, in formats the loaders read."""

import json

import pytest

from repro.core.manifests import load_all
from repro.nash.data import load_checkpoint, load_dataset
from repro.nash.standins import StandinError, write_standins

DATASETS = ["nash_samsum", "nash_xsum", "nash_cnn_dailymail", "nash_tweet_qa"]
DATASETS += ["nash_glue", "nash_superglue"]


def test_datasets_at_manifest_paths_and_readable(tmp_path):
    written = write_standins(tmp_path, DATASETS, seed=3)
    manifest = load_all()
    expected = {tmp_path / f.path for name in DATASETS for f in manifest[name].files}
    assert set(written) == expected
    for name, split in [
        ("samsum", "val"),
        ("xsum", "validation"),
        ("cnn_dailymail", "train"),
        ("tweet_qa", "dev"),
        ("glue/sst2", "dev"),
        ("glue/rte", "train"),
        ("superglue/boolq", "val"),
        ("superglue/cb", "train"),
    ]:
        examples = load_dataset(name, split, tmp_path)
        assert examples and all(e.target for e in examples)
    assert isinstance(json.loads((tmp_path / "nash/samsum/train.json").read_text()), list)


def test_same_seed_same_bytes(tmp_path):
    a = write_standins(tmp_path / "a", ["nash_xsum"], seed=1)
    b = write_standins(tmp_path / "b", ["nash_xsum"], seed=1)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


@pytest.mark.slow
def test_checkpoint_loads_and_tokenizer_round_trips(tmp_path):
    written = write_standins(tmp_path, ["nash_t5_base"])
    assert {p.name for p in written} == {
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "spiece.model",
        "tokenizer.json",
    }
    model, tok = load_checkpoint("t5-base", tmp_path)
    assert model.config.vocab_size == len(tok)
    ids = tok("summarize: anna meet ben").input_ids
    assert ids[-1] == tok.eos_token_id == 1 and tok.pad_token_id == 0
    assert tok.decode(ids, skip_special_tokens=True) == "summarize: anna meet ben"
    from transformers.utils import sentencepiece_model_pb2_new as sp

    proto = sp.ModelProto()
    proto.ParseFromString((tmp_path / "nash/t5-base/spiece.model").read_bytes())
    assert [p.piece for p in proto.pieces[:3]] == ["<pad>", "</s>", "<unk>"]


def test_unknown_entry(tmp_path):
    with pytest.raises(StandinError, match="no NASH entry"):
        write_standins(tmp_path, ["twlv_i_embeddings_k400"])
    assert write_standins(tmp_path, ["nash_synthetic_keywords"]) == []
