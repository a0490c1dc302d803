"""Decoder layer selection and shortening."""

import pytest
import torch

from repro.nash.arch import ARCH_SHAPES, count_parameters, random_t5, tiny_t5_config
from repro.nash.layers import _float_floor_indices, select_decoder_layers, shorten_decoder


@pytest.mark.parametrize(
    ("num_layers", "k", "expected"),
    [
        (12, 3, [0, 5, 11]),
        (6, 3, [0, 2, 5]),
        (24, 3, [0, 11, 23]),
        (12, 2, [0, 11]),
        (12, 4, [0, 3, 7, 11]),
        (12, 6, [0, 2, 4, 6, 8, 11]),
        (24, 4, [0, 7, 15, 23]),
        (12, 1, [0]),
        (12, 12, list(range(12))),
    ],
)
def test_uniform_indices(num_layers, k, expected):
    assert select_decoder_layers(num_layers, k) == expected


def test_integer_formula_matches_release_float_formula():
    for shape in ARCH_SHAPES.values():
        for k in range(2, shape.num_layers + 1):
            assert select_decoder_layers(shape.num_layers, k) == _float_floor_indices(
                shape.num_layers, k
            )


def test_low_and_high():
    assert select_decoder_layers(12, 3, "low") == [0, 1, 2]
    assert select_decoder_layers(12, 3, "high") == [9, 10, 11]


@pytest.mark.parametrize("k", [0, 13, -1])
def test_bad_k(k):
    with pytest.raises(ValueError, match="decoder layers k"):
        select_decoder_layers(12, k)


def test_bad_mode():
    with pytest.raises(ValueError):
        select_decoder_layers(12, 3, "middle")


def test_shorten_decoder_builds_real_shallower_model():
    model = random_t5(tiny_t5_config(num_layers=4), seed=0)
    short = shorten_decoder(model, [0, 3])
    assert len(short.decoder.block) == 2 and short.config.num_decoder_layers == 2
    assert len(model.decoder.block) == 4  # input untouched
    assert torch.equal(
        short.decoder.block[1].layer[0].SelfAttention.q.weight,
        model.decoder.block[3].layer[0].SelfAttention.q.weight,
    )
    per_block = sum(p.numel() for p in model.decoder.block[1].parameters())
    assert count_parameters(model)["decoder"] - count_parameters(short)["decoder"] == 2 * per_block
    x = torch.randint(2, 64, (2, 6))
    out = short.generate(x, min_new_tokens=5, max_new_tokens=5)  # KV cache indices renumbered
    assert out.shape == (2, 6)


def test_shorten_decoder_keeps_outputs_of_identity_selection():
    model = random_t5(tiny_t5_config(num_layers=2), seed=1)
    same = shorten_decoder(model, [0, 1])
    x, y = torch.randint(2, 64, (2, 5)), torch.randint(2, 64, (2, 3))
    with torch.no_grad():
        assert torch.allclose(
            model(input_ids=x, labels=y).logits, same(input_ids=x, labels=y).logits
        )


@pytest.mark.parametrize("keep", [[], [1, 0], [0, 0], [0, 9]])
def test_shorten_decoder_rejects_bad_indices(keep):
    model = random_t5(tiny_t5_config(num_layers=2), seed=0)
    with pytest.raises(ValueError, match="keep="):
        shorten_decoder(model, keep)
