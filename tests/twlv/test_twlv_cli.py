"""``repro twlv evaluate``: argument parsing and the testable command function."""

import argparse
import json

import numpy as np
import pytest

from repro.twlv import cli, evaluate, io
from repro.twlv.config import EvaluateConfig, SyntheticBenchmarkConfig


def _write_dataset(root, variants=("uniform", "multi-clip"), n=60, dim=8, num_classes=3):
    rng = np.random.default_rng(0)
    means = rng.normal(size=(num_classes, dim)) * 3
    for variant in variants:
        for split, count in (("train", n), ("val", n // 3)):
            y = np.arange(count) % num_classes
            n_clips = 1 if variant == "uniform" else 3
            clips = [(means[c] + rng.normal(size=(n_clips, dim))).astype(np.float32) for c in y]
            io.write_release_split(io.make_split(y, clips), root / variant / split)
    return root


def test_parser_registers_evaluate():
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["twlv", "evaluate", "emb", "--protocol", "knn", "--json"])
    assert (args.embeddings_dir, args.protocol, args.json) == ("emb", "knn", True)
    assert args.func is cli.handle_evaluate


def test_json_results_keyed_by_protocol_and_metric(tmp_path):
    root = _write_dataset(tmp_path / "ds")
    cfg = EvaluateConfig(epochs=3, knn_k=10)
    text = evaluate.run_evaluate_command(str(root), cfg, as_json=True)
    out = json.loads(text)
    assert out["num_classes"] == 3 and out["dim"] == 8
    assert set(out["knn"]) == {"uniform", "clip", "video"}
    for block in (out["linear"], out["attentive"], *out["knn"].values()):
        assert 0 <= block["top1"] <= 100 and 0 <= block["top5"] <= 100
    assert out["knn"]["video"]["top1"] == 100.0  # well-separated toy classes
    assert out["linear"]["chosen"]["lr"] in (1e-4, 3e-4, 1e-3, 3e-3)
    assert out["linear"]["protocol"]["epochs"] == 3


def test_table_output_and_single_protocol(tmp_path, capsys):
    root = _write_dataset(tmp_path / "ds", variants=("multi-clip",))
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["twlv", "evaluate", str(root), "--protocol", "knn", "--k", "5"])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "knn (clip)" in printed and "linear" not in printed


def test_cli_defaults_come_from_the_config():
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["twlv", "evaluate", "emb"])
    assert args.k == EvaluateConfig.knn_k == SyntheticBenchmarkConfig.knn_k
    assert (args.protocol, args.seed, args.epochs) == ("all", 0, 0)
    lp, ap = evaluate.protocols_for(EvaluateConfig())
    assert (
        lp.lrs == EvaluateConfig.linear_lrs
        and ap.epochs == SyntheticBenchmarkConfig.attentive_epochs
    )


@pytest.mark.parametrize("present, missing", [("uniform", "multi-clip"), ("multi-clip", "uniform")])
def test_one_variant_folder_reports_the_variant_actually_read(tmp_path, capsys, present, missing):
    root = _write_dataset(tmp_path / "ds", variants=(present,))
    out = evaluate.evaluate_embeddings(root, ("knn",), knn_k=5)
    assert out["variants"] == {"uniform": present, "multi-clip": present}
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["twlv", "evaluate", str(root), "--protocol", "knn", "--k", "5"])
    args.func(args)
    printed = capsys.readouterr().out
    assert f"{missing} read from {present}/ ({missing}/ not found)" in printed
    table = printed.splitlines()[2:]
    assert all(f"{missing}/" not in line for line in table)
    assert sum(f"{present}/" in line for line in table) == 3


def test_flat_layout_and_packed(tmp_path):
    root = _write_dataset(tmp_path / "ds", variants=("multi-clip",))
    io.convert_release_to_packed(root, tmp_path / "packed", "multi-clip")
    out = evaluate.evaluate_embeddings(tmp_path / "packed", ("knn",), knn_k=5)
    assert out["variants"] == {"uniform": ".", "multi-clip": "."}


def test_missing_layout_names_the_folder(tmp_path):
    with pytest.raises(io.EmbeddingFormatError, match=r"empty: expected train/ and val/"):
        evaluate.evaluate_embeddings(tmp_path / "empty")


def test_unknown_protocol(tmp_path):
    with pytest.raises(ValueError, match="'svm'"):
        evaluate.evaluate_embeddings(tmp_path, ("svm",))
