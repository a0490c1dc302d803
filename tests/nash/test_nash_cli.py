"""The ``repro nash`` sub-commands."""

import json

import pytest
import torch
from transformers import T5ForConditionalGeneration

from repro.nash.accounting import params_report
from repro.nash.arch import count_parameters, t5_config
from repro.nash.cli import main
from repro.nash.layers import select_decoder_layers, shorten_decoder
from repro.nash.masks import uniform_masks
from repro.nash.prune import prune_model
from repro.nash.sparsity import uniform_encoder_kept


@pytest.mark.parametrize(
    ("arch", "k", "s"), [("t5-small", 3, 0.3), ("t5-base", 3, 0.3), ("t5-large", 4, 0.6)]
)
def test_params_equal_instantiated_models(arch, k, s):
    rep = params_report(arch, k, s)
    cfg = t5_config(arch)
    with torch.device("meta"):  # shapes only, built independently of the CLI's helper
        full = T5ForConditionalGeneration(cfg)
    keep = select_decoder_layers(cfg.num_decoder_layers, k)
    heads, dims = uniform_encoder_kept(cfg, s)
    masks = {
        "enc.self": uniform_masks(cfg, "enc.self", heads),
        "enc.ffn": uniform_masks(cfg, "enc.ffn", dims),
    }
    pruned = prune_model(shorten_decoder(full, keep), masks)
    assert rep["full"] == count_parameters(full)
    assert rep["pruned"] == count_parameters(pruned)
    assert rep["pruned"]["total"] == rep["arithmetic_total_pruned"]
    assert rep["decoder_layers_kept"] == keep


def test_params_json(capsys):
    assert (
        main(
            [
                "nash",
                "params",
                "--arch",
                "t5-base",
                "--decoder-layers",
                "3",
                "--encoder-sparsity",
                "0.3",
                "--json",
            ]
        )
        == 0
    )
    rep = json.loads(capsys.readouterr().out)
    assert rep["decoder_layers_kept"] == [0, 5, 11]
    assert rep["full"]["total"] == 222_903_552


def test_params_rejects_bad_k():
    with pytest.raises(SystemExit, match="--decoder-layers"):
        main(["nash", "params", "--arch", "t5-small", "--decoder-layers", "7"])


def test_params_rejects_bad_sparsity():
    with pytest.raises(SystemExit, match="--encoder-sparsity"):
        main(["nash", "params", "--arch", "t5-small", "--encoder-sparsity", "1.5"])


@pytest.mark.slow
def test_latency_json(capsys):
    assert (
        main(
            [
                "nash",
                "latency",
                "--arch",
                "t5-small",
                "--decoder-layers",
                "2",
                "--encoder-sparsity",
                "0.5",
                "--batch",
                "1",
                "--input-len",
                "8",
                "--output-len",
                "3",
                "--repeats",
                "2",
                "--json",
            ]
        )
        == 0
    )
    rep = json.loads(capsys.readouterr().out)
    assert set(rep["latency_ms"]) == {"full", "decoder k=2", "encoder s=0.5", "nash k=2 s=0.5"}
    assert rep["speedup"]["full"] == 1.0
    assert rep["environment"]["device"] in ("cpu", "cuda")
