"""End-to-end on a tiny BERT saved here in the HF layout: training, methods, caching, CLI."""

import argparse
import json
from pathlib import Path

import pytest
import torch

import repro.crild.methods as methods_mod
from repro.core.config import build_config
from repro.crild.cli import add_parser
from repro.crild.config import MainTableConfig
from repro.crild.methods import METHODS, get_method, make_loss_fn
from repro.crild.runner import make_student, run_method
from repro.crild.standins import write_tiny_bert
from repro.crild.synthetic import make_task
from repro.crild.teacher_cache import prepare_task
from repro.crild.train import OptimConfig, stage1_ild, stage2_kd


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread: much faster on the shared 2-core machine; restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_bert")
    write_tiny_bert(folder, seed=0, num_layers=4)
    return folder


def _cfg(folder, **kw):
    base = dict(
        teacher_path=str(folder),
        student_layers=2,
        max_seq_len=24,
        teacher_epochs=2,
        teacher_lr=1e-3,
        ild_epochs=3,
        ild_lr=1e-3,
        kd_epochs=2,
        kd_lr=1e-3,
        eval_every=2,
        ild_batch=8,
        kd_batch=8,
        teacher_batch=8,
        pooling="cls",
        freeze_word_embeddings=False,
        device="cpu",
    )
    return build_config(MainTableConfig, {**base, **kw})


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def bundle(tiny_dir, cache_dir):
    cfg = _cfg(tiny_dir)
    data = make_task("syn-sentiment", 32, 16, seed=0)
    return prepare_task("syn-sentiment", data, cfg, cache_dir=cache_dir), cfg


def test_teacher_is_cached(bundle, cache_dir):
    b, cfg = bundle
    files = list(Path(cache_dir).glob("teacher_*.pt"))
    assert len(files) == 1
    data = make_task("syn-sentiment", 32, 16, seed=0)
    again = prepare_task("syn-sentiment", data, cfg, cache_dir=cache_dir)
    assert again.teacher_history == b.teacher_history
    sd1, sd2 = b.teacher.state_dict(), again.teacher.state_dict()
    assert all(torch.equal(sd1[k], sd2[k]) for k in sd1)


@pytest.mark.parametrize("name", [m for m in METHODS if m != "KD"])
def test_stage1_lowers_ild_loss(bundle, name):
    b, cfg = bundle
    student = make_student(b, cfg, 0)
    sup = (b.train, b.teacher_train)  # L-ILD-other: a stand-in corpus
    fn = make_loss_fn(get_method(name), b.teacher, b.teacher_train, 6, supplementary=sup)
    losses = stage1_ild(student, b.train, fn, OptimConfig(6, 3e-3, 8, drop_last=True), seed=0)
    assert losses[-1] < losses[0]


def test_consistency_present_in_crild_absent_in_released(bundle, monkeypatch):
    b, cfg = bundle
    seen = []
    real = methods_mod.consistency_term
    monkeypatch.setattr(
        methods_mod,
        "consistency_term",
        lambda *a, **k: seen.append(float(real(*a, **k).detach())) or real(*a, **k),
    )
    student = make_student(b, cfg, 0)
    idx = torch.arange(8)
    for name in ("CR-ILD", "CR-ILD-released"):
        fn = make_loss_fn(get_method(name), b.teacher, None, num_epochs=2)
        fn(student, idx, b.train.take(idx), 1, torch.Generator().manual_seed(0))
        if name == "CR-ILD":
            assert len(seen) == 1 and seen[0] > 0
    assert len(seen) == 1  # the released variant never calls it
    fn = make_loss_fn(get_method("CR-ILD"), b.teacher, None, num_epochs=2)
    fn(student, idx, b.train.take(idx), 0, torch.Generator().manual_seed(0))
    assert len(seen) == 1  # weight epoch / E is zero in the first epoch


def test_same_seed_same_result_and_cache_equivalence(bundle):
    b, cfg = bundle
    r1 = run_method(b, "L-ILD", cfg, 3)
    r2 = run_method(b, "L-ILD", cfg, 3)
    assert r1.kd.evals == r2.kd.evals and r1.stage1_loss == r2.stage1_loss
    r3 = run_method(b, "L-ILD", cfg, 3, use_cache=False)
    assert r3.kd.losses == pytest.approx(r1.kd.losses, rel=1e-4, abs=1e-6)


def test_stage2_kd_reduces_kd_loss_and_reports_best_and_last(bundle):
    b, cfg = bundle
    student = make_student(b, cfg, 1)
    res = stage2_kd(
        student,
        b.train,
        b.dev,
        "syn-sentiment",
        OptimConfig(6, 3e-3, 8),
        seed=0,
        teacher_logits=b.teacher_train.logits,
        eval_every=4,
    )
    assert sum(res.losses[-4:]) < sum(res.losses[:4])
    assert res.best()["select"] >= res.last()["select"]
    assert 0 <= res.last()["acc"] <= 1


def test_global_rng_untouched(bundle):
    b, cfg = bundle
    state = torch.random.get_rng_state()
    run_method(b, "KD", cfg, 0)
    assert torch.equal(state, torch.random.get_rng_state())


def test_cli_on_tiny_glue_files(tiny_dir, tmp_path, capsys):
    rte = tmp_path / "glue" / "RTE"
    rte.mkdir(parents=True)
    rows = ["index\tsentence1\tsentence2\tlabel"]
    rows += [
        f"{i}\tthe movie was good\tthe film was {'good' if i % 2 else 'bad'}\t"
        f"{'entailment' if i % 2 else 'not_entailment'}"
        for i in range(12)
    ]
    for f in ("train.tsv", "dev.tsv"):
        (rte / f).write_text("\n".join(rows) + "\n")
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(
        [
            "crild",
            "run",
            "--data",
            str(tmp_path / "glue"),
            "--task",
            "RTE",
            "--method",
            "l-ild",
            "--teacher",
            str(tiny_dir),
            "--seeds",
            "0",
            "--student-layers",
            "2",
            "--ild-epochs",
            "1",
            "--kd-epochs",
            "1",
            "--teacher-epochs",
            "1",
            "--eval-every",
            "1",
            "--json",
            "--device",
            "cpu",
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    assert args.func(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["selection"] for r in rows} == {"best", "last"}
    assert all(r["task"] == "rte" and r["method"] == "L-ILD" for r in rows)
    # L-ILD-other needs --supplementary (one-line input error), then runs on its inputs
    from repro.crild.methods import MissingSupplementaryError

    args.method = "L-ILD-other"
    with pytest.raises(MissingSupplementaryError, match="--supplementary"):
        args.func(args)
    args.supplementary = "rte"
    assert args.func(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(r["method"] == "L-ILD-other" for r in rows)


def test_weight_noise_curve(bundle):
    from repro.crild.flatness import weight_noise_curve

    b, cfg = bundle
    r = run_method(b, "KD", cfg, 0, keep_model=True)
    before = {k: v.clone() for k, v in r.model.state_dict().items()}
    df = weight_noise_curve(r.model, b.dev, "syn-sentiment", [0.0, 0.5], draws=2, seed=0)
    assert list(df["sigma"]) == [0.0, 0.5, 0.5]
    assert df["select"].iloc[0] == pytest.approx(r.kd.last()["select"])
    assert all(torch.equal(before[k], v) for k, v in r.model.state_dict().items())


def test_large_data_keeps_only_logits(bundle, cache_dir, monkeypatch):
    import repro.crild.teacher_cache as tc

    b, cfg = bundle
    monkeypatch.setattr(tc, "CACHE_LIMIT_BYTES", 0)
    data = make_task("syn-sentiment", 32, 16, seed=0)
    small = tc.prepare_task("syn-sentiment", data, cfg, cache_dir=cache_dir)
    assert small.teacher_train.hidden == [] and small.teacher_dev is None
    assert torch.allclose(small.teacher_train.logits, b.teacher_train.logits, atol=1e-5)
    r = run_method(small, "TinyBERT", cfg, 0, track_ild=True)
    ref = run_method(b, "TinyBERT", cfg, 0, track_ild=True)
    assert r.ild_heldout == pytest.approx(ref.ild_heldout, rel=1e-4)


def test_other_inputs_distil_on_the_supplementary_corpus(bundle):
    """L-ILD-other's loss is L-ILD's objective on the corpus rows the batch indices pick."""
    from repro.crild.methods import MissingSupplementaryError, ild_objective
    from repro.crild.supplementary import add_supplementary, choose_corpus
    from repro.crild.train import slice_outputs

    b, cfg = bundle
    assert choose_corpus("syn-sentiment", cfg.supplementary_tasks) == "syn-paraphrase"
    add_supplementary(b, "syn-sentiment", cfg)
    data, cache = b.extra["supplementary"]
    assert len(data) == len(b.train) and b.extra["supplementary_name"] == "syn-paraphrase"
    assert bool(data.types.any()) and not bool(b.train.types.any())  # pairs vs single sentences
    student = make_student(b, cfg, 0).eval()  # eval: no dropout, so the two calls agree
    idx = torch.tensor([0, 5, 40, 63])  # 40 and 63 wrap around a 32-row corpus
    fn = make_loss_fn(get_method("L-ILD-other"), b.teacher, b.teacher_train, 2,
                      supplementary=b.extra["supplementary"])  # fmt: skip
    got = fn(student, idx, b.train.take(idx % 32), 0, None)
    rows = idx % len(data)
    c = data.take(rows)
    want = ild_objective(
        get_method("L-ILD"), student(c.ids, c.mask, c.types), slice_outputs(cache, rows),
        c.mask, b.teacher.bert.shape.num_heads,
    )  # fmt: skip
    assert float(got.detach()) == pytest.approx(float(want.detach()), rel=1e-6)
    with pytest.raises(MissingSupplementaryError, match="L-ILD-other"):
        make_loss_fn(get_method("L-ILD-other"), b.teacher, None, 2)
    r = run_method(b, "L-ILD-other", cfg, 0)
    assert r.kd.evals and len(r.stage1_loss) == cfg.ild_epochs


def test_pkd_objective_is_the_released_stacked_mse(bundle):
    """PKD: one MSE over the stacked [B, layers, H] normalised [CLS] vectors (the release)."""
    import torch.nn.functional as F

    from repro.crild.mapping import uniform_map
    from repro.crild.methods import ild_objective

    b, cfg = bundle
    student = make_student(b, cfg, 0).eval()
    x = b.train.take(torch.arange(8))
    s, t = student(x.ids, x.mask, x.types), b.teacher(x.ids, x.mask, x.types)
    pairs = uniform_map(len(s.scores), len(t.scores))
    stack = lambda out, k: torch.stack([out.hidden[p[k]][:, 0] for p in pairs], dim=1)  # noqa: E731
    want = F.mse_loss(F.normalize(stack(t, 1), dim=2), F.normalize(stack(s, 0), dim=2))
    got = ild_objective(get_method("PKD"), s, t, x.mask, b.teacher.bert.shape.num_heads)
    assert float(got.detach()) == pytest.approx(float(want.detach()), rel=1e-6)
