"""Parameter and sparsity accounting against hand counts and real models."""

import pytest
import torch

from repro.nash.arch import count_parameters, random_t5, t5_config, tiny_t5_config
from repro.nash.latency import narrowed_model
from repro.nash.masks import ENCODER_GROUPS, L0Masks
from repro.nash.sparsity import (
    accounting_row,
    decoder_prunable,
    encoder_prunable,
    expected_sparsity,
    total_parameters,
    uniform_encoder_kept,
    unit_costs,
)


def test_t5_small_hand_counts():
    cfg = t5_config("t5-small")
    # one head: q, k, v rows and o columns = 4 * 512 * 64; one FFN dim: wi row + wo column = 2 * 512
    assert unit_costs(cfg).head == 131_072
    assert unit_costs(cfg).ffn_dim == 1_024
    # 6 layers * (8 heads * 131072 + 2048 dims * 1024) = 6 * 3_145_728
    assert encoder_prunable(cfg) == 18_874_368
    # decoder layers also have 8 cross-attention heads: 6 * (16 * 131072 + 2048 * 1024)
    assert decoder_prunable(cfg) == 25_165_824
    assert decoder_prunable(cfg, 3) == 12_582_912


def test_t5_base_matches_release_l0_module_counts():
    cfg = t5_config("t5-base")
    assert encoder_prunable(cfg) == 84_934_656
    assert decoder_prunable(cfg) == 113_246_208
    assert decoder_prunable(cfg, 3) == 28_311_552


def test_total_parameters_equals_instantiated_t5_small():
    cfg = t5_config("t5-small")
    with torch.device("meta"):
        from transformers import T5ForConditionalGeneration

        model = T5ForConditionalGeneration(cfg)
    assert total_parameters(cfg) == count_parameters(model)["total"] == 60_506_624


def test_expected_sparsity_hand_count_t5_small():
    cfg = t5_config("t5-small")
    heads = torch.ones(6, 8)
    ffn = torch.ones(6, 2048)
    heads[0, :4] = 0.0  # drop 4 heads of layer 0
    ffn[:, :1024] = 0.5  # half the FFN dims at probability 0.5
    remaining = (48 - 4) * 131_072 + (6 * 1024 + 6 * 1024 * 0.5) * 1024
    s = expected_sparsity(heads, ffn, cfg, encoder_prunable(cfg))
    assert float(s) == pytest.approx(1 - remaining / 18_874_368, rel=1e-6)


def test_l0_masks_expected_sparsity_near_zero_at_init():
    cfg = tiny_t5_config()
    masks = L0Masks(cfg, ENCODER_GROUPS, seed=0)
    # heads start at log_alpha ~ 10 (kept), FFN dims at ~0: P(z>0) = sigmoid(T log 11)
    p_ffn = float(torch.sigmoid(torch.tensor(2 / 3 * torch.log(torch.tensor(11.0)).item())))
    c = unit_costs(cfg)
    expected = cfg.num_layers * (cfg.num_heads * c.head + cfg.d_ff * p_ffn * c.ffn_dim)
    assert masks.expected_remaining().item() == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize(("s", "k"), [(0.0, 6), (0.3, 3), (0.6, 2), (0.9, 1)])
def test_accounting_row_equals_pruned_model_t5_small(s, k):
    cfg = t5_config("t5-small")
    with torch.device("meta"):
        full = random_t5(cfg)
    pruned = narrowed_model(full, s, None if k == 6 else k)
    row = accounting_row(cfg, s, k)
    assert row["total_params_pruned"] == count_parameters(pruned)["total"]
    assert row["total_params_full"] == count_parameters(full)["total"]


def test_uniform_encoder_kept_rejects_bad_sparsity():
    with pytest.raises(ValueError, match="encoder sparsity"):
        uniform_encoder_kept(t5_config("t5-small"), 1.0)


def test_release_example_overall_sparsity():
    # NASH(0.3, k=3) on T5-base keeps about 87.8M of 198.2M prunable parameters.
    cfg = t5_config("t5-base")
    kept = 0.7 * encoder_prunable(cfg) + decoder_prunable(cfg, 3)
    assert kept == pytest.approx(87.77e6, rel=1e-3)
    assert encoder_prunable(cfg) + decoder_prunable(cfg) == 198_180_864
