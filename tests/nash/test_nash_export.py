"""``repro nash prune`` then ``load_pruned``: a pruned model a user keeps, round-tripped."""

import json

import pytest
import torch

import repro.nash
from repro.nash.arch import count_parameters
from repro.nash.data import read_summarisation_file, tokenize
from repro.nash.export import MASKS_FILE, STRUCTURE_FILE, load_masks, read_structure
from repro.nash.standins import write_standins
from repro.nash.train import greedy_decode
from repro.nash.userprune import GENERATIONS_FILE, load_user_checkpoint
from repro.pipeline.cli import main as repro_main

PRUNE = ["--steps", "6", "--final-steps", "2", "--batch-size", "8", "--gen-len", "12"]


@pytest.fixture(scope="module")
def standins(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_standins(root, ["nash_t5_small", "nash_samsum"])
    return root / "nash/t5-small", root / "nash/samsum"


def _prune(ckpt, data, out, *extra):
    argv = ["nash", "prune", "--checkpoint", str(ckpt), "--data", str(data), "--out", str(out)]
    return repro_main([*argv, "--encoder-sparsity", "0.5", "--decoder-layers", "1", *PRUNE, *extra])


def test_prune_then_load_pruned_generates_the_same(standins, tmp_path, capsys):
    ckpt, data = standins
    out = tmp_path / "pruned"
    assert _prune(ckpt, data, out) == 0
    assert "parameters" in capsys.readouterr().out
    structure = read_structure(out)
    assert structure["decoder_layers_kept"] == [0]
    assert (out / MASKS_FILE).is_file() and set(load_masks(out)) == {"enc.self", "enc.ffn"}
    model = repro.nash.load_pruned(out)
    original, tok = load_user_checkpoint(ckpt)
    assert count_parameters(model)["total"] < count_parameters(original)["total"]
    assert count_parameters(model)["total"] == structure["info"]["params_pruned"]
    assert len(model.decoder.block) == 1
    # Greedy generations of the rebuilt model equal those the in-memory model wrote.
    examples = read_summarisation_file("samsum", data / "val.json")
    batch = tokenize(examples, tok, 128, 128)
    with torch.no_grad():
        out_ids = greedy_decode(model, batch, max_new_tokens=12, batch_size=32)
    preds = tok.batch_decode(out_ids, skip_special_tokens=True)
    assert preds == json.loads((out / GENERATIONS_FILE).read_text())


def test_missing_checkpoint_file_is_one_line_error(standins, tmp_path, capsys):
    ckpt, data = standins
    empty = tmp_path / "ckpt"
    empty.mkdir()
    (empty / "config.json").write_text((ckpt / "config.json").read_text())
    assert _prune(empty, data, tmp_path / "o") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "model.safetensors: missing" in err
    assert "Traceback" not in err


def test_data_without_expected_field_is_one_line_error(standins, tmp_path, capsys):
    ckpt, data = standins
    bad = tmp_path / "samsum"
    bad.mkdir()
    rows = json.loads((data / "train.json").read_text())
    no_dialogue = [{"id": r["id"], "text": r["dialogue"]} for r in rows]
    (bad / "train.json").write_text(json.dumps(no_dialogue))
    (bad / "val.json").write_text((data / "val.json").read_text())
    assert _prune(ckpt, bad, tmp_path / "o") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bad / "train.json") in err and "'dialogue'" in err


def test_load_pruned_names_missing_file(tmp_path):
    from repro.core.errors import InputError

    with pytest.raises(InputError, match=STRUCTURE_FILE):
        repro.nash.load_pruned(tmp_path)
