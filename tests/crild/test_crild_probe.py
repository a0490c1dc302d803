"""The ILD-overfitting probe: data rule, clean per-layer gap, checkpoint schedule, estimates.

Everything runs on tiny hand-made vocabularies and a random 1- and 2-layer BERT (hidden 8),
so no checkpoint is loaded and the file runs in about a second.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch

from repro.crild import probe_data as D
from repro.crild.config import CrildConfigError, ProbeConfig
from repro.crild.models import BertShape, DistillBert, EncoderOutput
from repro.crild.probe_gap import distances_on, layer_distances
from repro.crild.probe_report import dev_change, final_growth, gap_growth, probe_values
from repro.crild.probe_runner import PROBE_METHODS, ProbeBundle, log_steps, stage1
from repro.crild.train import teacher_outputs

FILLERS = ["".join(t) for t in itertools.product("bcdfg", "aeiou", "klmn")]  # 100 words


def _words() -> list[str]:
    rule = [*D.POSITIVE, *D.NEGATIVE, *D.NEGATORS]
    return ["[PAD]", "[CLS]", "[SEP]", "##ing", "Upper", "no", *rule, *FILLERS]


def test_vocab_keeps_rule_words_out_of_the_filler_pool():
    words = _words()
    vocab = D.make_vocab(words, n_fillers=60, seed=0)
    fillers = {words[i] for i in vocab.fillers}
    assert len(fillers) == 60 and fillers <= set(FILLERS)  # no "##ing", "Upper", "no", rule word
    with pytest.raises(ValueError, match="only 100 candidates"):
        D.make_vocab(words, n_fillers=101, seed=0)


def test_sentences_have_fixed_length_and_follow_the_rule():
    vocab = D.make_vocab(_words(), n_fillers=100, seed=0)
    split = D.make_split(vocab, 400, n_slots=5, rng=np.random.default_rng(1), p_negate=0.3)
    assert split.ids.shape == (400, 7)
    assert (split.ids[:, 0] == vocab.cls_id).all() and (split.ids[:, -1] == vocab.sep_id).all()
    pos, neg, nots = set(vocab.positive), set(vocab.negative), set(vocab.negators)
    negated = 0
    for row, label in zip(split.ids[:, 1:-1], split.labels, strict=True):
        adj = [k for k, t in enumerate(row) if t in pos | neg]
        assert len(adj) == 1 and adj[0] >= 1  # one adjective, never in the first slot
        k = adj[0]
        flip = row[k - 1] in nots
        negated += flip
        assert label == int((row[k] in pos) != flip)
        assert sum(t in nots for t in row) == int(flip)  # a negator only right before it
    assert 0.2 < negated / 400 < 0.4  # p_negate = 0.3


def test_held_out_sentences_contain_tokens_never_seen_in_training():
    vocab = D.make_vocab(_words(), n_fillers=100, seed=0)
    data = D.make_probe_data(vocab, {"train": 64, "dev": 200}, n_slots=6, seed=0)
    few, many = D.head(data["train"], 4), data["train"]
    assert np.array_equal(few.ids, many.ids[:4])  # the few-example set is a prefix
    assert D.unseen_fraction(few, data["dev"]) > D.unseen_fraction(many, data["dev"]) > 0.0
    assert D.unseen_fraction(data["dev"], data["dev"]) == 0.0


def test_compact_ids_round_trip():
    vocab = D.make_vocab(_words(), n_fillers=50, seed=0)
    split = D.make_split(vocab, 20, n_slots=4, rng=np.random.default_rng(0))
    keep = D.compact_ids([split], vocab)
    enc = D.to_encoded(split, keep)
    assert torch.equal(torch.as_tensor(keep)[enc.ids], torch.as_tensor(split.ids))
    assert int(enc.mask.min()) == 1 and enc.ids.max() < len(keep)


def _out(scores: torch.Tensor, hidden: list[torch.Tensor]) -> EncoderOutput:
    return EncoderOutput(logits=torch.zeros(1, 2), hidden=hidden, scores=[scores])


def test_clean_gap_is_zero_for_identical_outputs_and_hand_checked_with_padding():
    torch.manual_seed(0)
    t_scores = torch.randn(1, 1, 3, 3)
    hid = [torch.randn(1, 3, 4), torch.randn(1, 3, 4)]
    mask = torch.tensor([[1, 1, 0]])
    method = PROBE_METHODS["U-ILD"]
    same = layer_distances(method, _out(t_scores, hid), _out(t_scores, hid), mask, 1)
    assert all(abs(r["value"]) < 1e-6 for r in same)
    # Real rows 0-1 over real keys 0-1: teacher uniform, student (3/4, 1/4) in both rows:
    # KL = 0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25) = 0.5 ln(4/3). Pad key column and pad query
    # row hold wild values that must not count; so must the pad position of the hidden states.
    s = torch.zeros(1, 1, 3, 3)
    s[..., :2, 0] = math.log(3.0)
    s[..., :, 2] = 50.0
    s[..., 2, :] = -80.0
    s_hid = [h.clone() for h in hid]
    s_hid[1][0, 2] += 100.0  # pad token of layer 1
    s_hid[1][0, 0] += 1.0  # one real token, every one of 4 features off by 1
    rows = {
        (r["layer"], r["kind"]): r["value"]
        for r in layer_distances(method, _out(s, s_hid), _out(t_scores.zero_(), hid), mask, 1)
    }
    assert rows[(1, "attention KL")] == pytest.approx(0.5 * math.log(4 / 3), abs=1e-6)
    assert rows[(1, "hidden MSE")] == pytest.approx(4 / (2 * 4))  # 2 real tokens x 4 features
    assert rows[(0, "hidden MSE")] == pytest.approx(0.0)
    assert rows[(-1, "total")] == pytest.approx(0.5 * math.log(4 / 3) + 0.5, abs=1e-6)


def _bundle(n: int = 8) -> ProbeBundle:
    tiny = dict(vocab_size=20, hidden_size=8, num_heads=2, intermediate_size=16, max_position=16)
    torch.manual_seed(0)
    teacher = DistillBert(BertShape(num_layers=2, **tiny), 2).eval()
    ids = torch.randint(3, 20, (n, 5))
    from repro.crild.encoded import Encoded

    data = Encoded(
        ids, torch.ones_like(ids), torch.zeros_like(ids), torch.zeros(n, dtype=torch.int64)
    )
    heldout = data.take(torch.arange(n // 2, n))
    return ProbeBundle(
        vocab=None, splits={}, teacher=teacher, train=data, dev=heldout, heldout=heldout,
        t_train=teacher_outputs(teacher, data), t_heldout=teacher_outputs(teacher, heldout),
        teacher_acc=1.0, folder=None, keep=np.arange(20), device=torch.device("cpu"),
    )  # fmt: skip


def _student() -> DistillBert:
    tiny = dict(vocab_size=20, hidden_size=8, num_heads=2, intermediate_size=16, max_position=16)
    torch.manual_seed(1)
    return DistillBert(BertShape(num_layers=1, **tiny), 2, is_student=True, teacher_hidden=8)


def test_checkpoint_and_log_schedule_and_pairing_by_seed():
    assert log_steps(120, 15) == [0, 15, 30, 45, 60, 75, 90, 105, 120]
    assert log_steps(100, 15)[-2:] == [90, 100]
    cfg = ProbeConfig(
        n_few=4, n_many=8, n_gap=4, ild_steps=6, checkpoints=(0, 2, 6), log_every=4, ild_batch=2,
        ild_warmup=1,
    )  # fmt: skip
    bundle = _bundle()
    rows, states = stage1(bundle, _student(), "few-U", cfg, seed=3)
    assert sorted(states) == [0, 2, 6]
    assert sorted({r["step"] for r in rows}) == [0, 4, 6]
    assert {r["split"] for r in rows} == {"train", "held-out"}
    again, _ = stage1(bundle, _student(), "few-U", cfg, seed=3)
    assert again == rows  # same seed: same initialisation and batch order
    assert not any(
        torch.equal(states[0][k], states[6][k]) for k in states[0] if "query.weight" in k
    )
    _, no_ckpt = stage1(bundle, _student(), "few-U-mixup", cfg, seed=3)
    assert no_ckpt == {}  # settings without stage 2 keep no checkpoints
    growth = gap_growth(pd.DataFrame(rows))
    assert (growth[growth["step"] == 0]["growth"].abs() < 1e-12).all()
    held = distances_on(PROBE_METHODS["U-ILD"], _student(), bundle.t_heldout, bundle.heldout, 2)
    assert {r["kind"] for r in held} == {"attention KL", "hidden MSE", "total"}


def test_gap_growth_and_claim_estimates_by_hand():
    rows = []
    for seed, late in ((0, 0.3), (1, 0.5)):
        for step, (tr, ho) in ((0, (1.0, 1.2)), (10, (0.2, 1.2 + late))):
            for split, v in (("train", tr), ("held-out", ho)):
                rows.append(
                    dict(
                        setting="few-U",
                        seed=seed,
                        step=step,
                        split=split,
                        layer=-1,
                        kind="total",
                        value=v,
                    )
                )
    growth = gap_growth(pd.DataFrame(rows))
    # gap(10) - gap(0) = (1.2 + late - 0.2) - 0.2 = 0.8 + late
    assert list(final_growth(growth, "few-U").round(9)) == [1.1, 1.3]
    scores = pd.DataFrame(
        [
            dict(setting="few-U", seed=s, step=st, dev_acc=v)
            for s in (0, 1)
            for st, v in ((0, 60 + s), (5, 70), (10, 65))
        ]
    )
    assert list(dev_change(scores, "few-U", 0, 5)) == [10.0, 9.0]
    vals = probe_values(growth, scores, (0, 5, 10), student_layers=2)
    assert vals["probe_few_fall"] == [-5.0, -5.0] and vals["probe_few_rise"] == [10.0, 9.0]
    assert vals["probe_control_gap"] == [] and vals["probe_mixup_shrinks_gap"] == []


def test_probe_config_rejects_bad_checkpoints():
    with pytest.raises(CrildConfigError, match="checkpoints"):
        ProbeConfig(checkpoints=(0, 60))
    with pytest.raises(CrildConfigError, match="checkpoints"):
        ProbeConfig(checkpoints=(0, 60, 100))  # must end at ild_steps
    with pytest.raises(CrildConfigError, match="settings"):
        ProbeConfig(settings=("few-X",))
