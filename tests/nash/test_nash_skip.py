"""Fully pruned sublayers leave the forward pass (issue 13), without changing the output."""

import torch
from torch import nn

from repro.nash.arch import random_t5, tiny_t5_config
from repro.nash.export import load_pruned, read_structure, save_pruned
from repro.nash.masks import apply_masks
from repro.nash.prune import SkippedAttention, SkippedFFN, prune_model, structure


def _gates(cfg):
    z = {
        g: torch.ones(cfg.num_layers, cfg.d_ff if g.endswith("ffn") else cfg.num_heads)
        for g in ("enc.self", "enc.ffn", "dec.self", "dec.cross", "dec.ffn")
    }
    z["enc.self"][0] = 0.0  # block 0 owns the relative position bias: it must still be computed
    z["enc.self"][1, 1:] = 0.0  # a block after it keeps one head and needs that bias
    z["enc.ffn"][1] = 0.0
    z["dec.cross"][0] = 0.0
    z["dec.ffn"][1] = 0.0
    z["dec.self"][0] = 0.0  # the decoder's bias owner, whose cache layer must still advance
    z["dec.self"][1, 1:] = 0.0
    return z


def _inputs():
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(2, 64, (3, 9), generator=gen)
    mask = torch.ones_like(x)
    mask[1, 5:] = 0
    return x, mask, torch.randint(2, 64, (3, 5), generator=gen)


def _model():
    cfg = tiny_t5_config(num_layers=2)
    return random_t5(cfg, seed=3), _gates(cfg)


def test_skipped_sublayers_replace_modules_and_keep_outputs():
    model, z = _model()
    pruned = prune_model(model, z)
    enc, dec = pruned.encoder.block, pruned.decoder.block
    assert isinstance(enc[0].layer[0], SkippedAttention)
    assert isinstance(enc[1].layer[-1], SkippedFFN)
    assert isinstance(dec[0].layer[1], SkippedAttention)
    assert isinstance(dec[1].layer[-1], SkippedFFN)
    assert isinstance(dec[0].layer[0], SkippedAttention)
    assert not isinstance(dec[1].layer[0], SkippedAttention)
    s = structure(pruned)
    assert s["enc.self"] == [0, 1] and s["enc.ffn"][1] == 0 and s["dec.cross"][0] == 0
    x, m, y = _inputs()
    GEN = {"attention_mask": m, "min_new_tokens": 6, "max_new_tokens": 6}
    with torch.no_grad():
        with apply_masks(model, z):
            masked = model(input_ids=x, attention_mask=m, labels=y).logits
            gen_masked = model.generate(x, **GEN)
            beam_masked = model.generate(x, num_beams=3, **GEN)
        out = pruned(input_ids=x, attention_mask=m, labels=y).logits
        gen_pruned = pruned.generate(x, **GEN)
        beam_pruned = pruned.generate(x, num_beams=3, **GEN)
    assert torch.allclose(masked, out, atol=1e-5)
    assert torch.equal(gen_masked, gen_pruned)  # cached generation: positions stay right
    assert torch.equal(beam_masked, beam_pruned)


def test_skipped_sublayer_runs_no_matmul():
    model, z = _model()
    pruned = prune_model(model, z)
    skipped = [
        pruned.decoder.block[0].layer[0],
        pruned.encoder.block[0].layer[0],
        pruned.encoder.block[1].layer[-1],
        pruned.decoder.block[0].layer[1],
        pruned.decoder.block[1].layer[-1],
    ]
    calls = {"skipped": 0, "linear": 0}

    def count(key):
        def hook(*_):
            calls[key] += 1

        return hook

    for sub in skipped:
        for mod in sub.modules():
            if isinstance(mod, nn.Linear):
                mod.register_forward_hook(count("skipped"))
    for mod in pruned.modules():
        if isinstance(mod, nn.Linear):
            mod.register_forward_hook(count("linear"))
    x, m, y = _inputs()
    with torch.no_grad():
        pruned(input_ids=x, attention_mask=m, labels=y)
    assert calls["linear"] > 0 and calls["skipped"] == 0
    # and they hold no weights that would be counted
    assert sum(p.numel() for sub in skipped[2:] for p in sub.parameters()) == 0


def test_skipped_sublayers_survive_save_and_load(tmp_path):
    model, z = _model()
    pruned = prune_model(model, z)
    save_pruned(pruned, tmp_path, decoder_layers_kept=[0, 1], masks=z)
    assert set(read_structure(tmp_path)["skipped"]) == {
        "enc.self.0",
        "dec.self.0",
        "enc.ffn.1",
        "dec.cross.0",
        "dec.ffn.1",
    }
    loaded = load_pruned(tmp_path)
    assert isinstance(loaded.encoder.block[0].layer[0], SkippedAttention)
    x, m, y = _inputs()
    with torch.no_grad():
        a = pruned(input_ids=x, attention_mask=m, labels=y).logits
        b = loaded(input_ids=x, attention_mask=m, labels=y).logits
    assert torch.equal(a, b)
