"""Masks applied by hooks versus physically pruned models."""

import pytest
import torch

from repro.nash.arch import count_parameters, random_t5, tiny_t5_config
from repro.nash.masks import DECODER_GROUPS, ENCODER_GROUPS, L0Masks, apply_masks, uniform_masks
from repro.nash.prune import prune_model, structure

GROUPS = ENCODER_GROUPS + DECODER_GROUPS


def _inputs():
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(2, 64, (3, 9), generator=gen)
    mask = torch.ones_like(x)
    mask[0, 6:] = 0  # padding must be handled identically
    y = torch.randint(2, 64, (3, 5), generator=gen)
    return x, mask, y


def _random_masks(cfg, seed):
    masks = L0Masks(cfg, GROUPS, layer_gates=True, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for v in masks.log_alpha.values():
            v.copy_(torch.randn(v.shape, generator=gen) * 2)
    return masks.deterministic()


def test_all_ones_mask_reproduces_unmasked_logits():
    cfg = tiny_t5_config(num_layers=2)
    model = random_t5(cfg, seed=0)
    x, m, y = _inputs()
    ones = {g: torch.ones(2, cfg.d_ff if g.endswith("ffn") else cfg.num_heads) for g in GROUPS}
    with torch.no_grad():
        ref = model(input_ids=x, attention_mask=m, labels=y).logits
        with apply_masks(model, ones):
            masked = model(input_ids=x, attention_mask=m, labels=y).logits
        pruned = prune_model(model, ones)(input_ids=x, attention_mask=m, labels=y).logits
    assert torch.equal(ref, masked)
    assert torch.allclose(ref, pruned, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pruned_equals_masked_logits_and_generation(seed):
    cfg = tiny_t5_config(num_layers=3)
    model = random_t5(cfg, seed=seed)
    z = _random_masks(cfg, seed)
    z["enc.self"][1] = 0.0  # a layer that loses every head
    z["enc.self"][0, :3] = 0.0  # block 0 (owner of the position bias) keeps one head
    z["dec.ffn"][2] = 0.0  # an FFN that loses every dimension
    x, m, y = _inputs()
    pruned = prune_model(model, z)
    with torch.no_grad():
        with apply_masks(model, z):
            masked = model(input_ids=x, attention_mask=m, labels=y).logits
            gen_masked = model.generate(x, attention_mask=m, min_new_tokens=6, max_new_tokens=6)
        out = pruned(input_ids=x, attention_mask=m, labels=y).logits
        gen_pruned = pruned.generate(x, attention_mask=m, min_new_tokens=6, max_new_tokens=6)
    assert torch.allclose(masked, out, atol=1e-5)
    assert torch.equal(gen_masked, gen_pruned)
    assert count_parameters(pruned)["total"] < count_parameters(model)["total"]


def test_pruned_beam_search_matches_masked():
    cfg = tiny_t5_config(num_layers=2)
    model = random_t5(cfg, seed=4)
    z = _random_masks(cfg, 4)
    x, m, _ = _inputs()
    pruned = prune_model(model, z)
    kwargs = {"attention_mask": m, "min_new_tokens": 4, "max_new_tokens": 4, "num_beams": 4}
    with torch.no_grad():
        with apply_masks(model, z):
            a = model.generate(x, **kwargs)
        b = pruned.generate(x, **kwargs)
    assert torch.equal(a, b)


def test_structure_counts_kept_units():
    cfg = tiny_t5_config(num_layers=2)
    model = random_t5(cfg, seed=0)
    z = {
        "enc.self": uniform_masks(cfg, "enc.self", 3),
        "enc.ffn": uniform_masks(cfg, "enc.ffn", 10),
    }
    s = structure(prune_model(model, z))
    assert s["enc.self"] == [3, 3] and s["enc.ffn"] == [10, 10]
    assert s["dec.self"] == [4, 4] and s["dec.ffn"] == [64, 64]


def test_prune_model_rejects_wrong_layer_count():
    cfg = tiny_t5_config(num_layers=2)
    model = random_t5(cfg, seed=0)
    with pytest.raises(ValueError, match=r"enc\.ffn"):
        prune_model(model, {"enc.ffn": torch.ones(3, cfg.d_ff)})


def test_unknown_mask_group():
    with pytest.raises(ValueError, match="unknown mask groups"):
        L0Masks(tiny_t5_config(), ["enc.attention"])


def test_masked_model_is_not_modified_after_context():
    cfg = tiny_t5_config(num_layers=2)
    model = random_t5(cfg, seed=0)
    x, m, y = _inputs()
    z = {"enc.ffn": torch.zeros(2, cfg.d_ff)}
    with torch.no_grad():
        before = model(input_ids=x, attention_mask=m, labels=y).logits
        with apply_masks(model, z):
            pass
        after = model(input_ids=x, attention_mask=m, labels=y).logits
    assert torch.equal(before, after)
