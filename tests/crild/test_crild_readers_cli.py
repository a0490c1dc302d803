"""GLUE readers on stand-ins in the download script's formats, NaN-safe selection, the CLI."""

import math
import subprocess
import sys
import warnings

import pytest

from repro.crild.glue import load_task, read_tsv, task_spec
from repro.crild.standins import write_standins
from repro.crild.train import KDResult, best_index


@pytest.fixture(scope="module")
def glue_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_standins(root, ["glue_mrpc", "glue_qqp", "glue_rte", "glue_stsb", "glue_cola"])
    return root / "cr_ild" / "glue"


def test_mrpc_header_with_byte_order_mark(glue_dir):
    raw = (glue_dir / "MRPC" / "train.tsv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfQuality\t")  # as the GLUE download script writes it
    train, dev = load_task(glue_dir, "mrpc")
    assert len(train) > 0 and len(dev) > 0
    assert set(train.labels.tolist()) <= {0, 1} and train.text_b is not None


def test_qqp_skips_and_counts_malformed_rows_with_a_warning(glue_dir):
    with pytest.warns(UserWarning, match=r"skipped 1 malformed row"):
        train = read_tsv(glue_dir / "QQP" / "train.tsv", task_spec("qqp"))
    assert train.skipped == 1
    lines = (glue_dir / "QQP" / "train.tsv").read_text().splitlines()
    assert len(train) == len(lines) - 2  # header and the malformed row
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_tsv(glue_dir / "QQP" / "dev.tsv", task_spec("qqp")).skipped == 0


def test_other_tasks_still_refuse_ragged_rows(glue_dir, tmp_path):
    from repro.crild.glue import GlueFormatError

    bad = tmp_path / "dev.tsv"
    bad.write_text("index\tsentence1\tsentence2\tlabel\n0\tonly two\n")
    with pytest.raises(GlueFormatError, match=r"dev.tsv:2: 2 fields; expected 4"):
        read_tsv(bad, task_spec("rte"))


@pytest.mark.parametrize("task", ["rte", "sts-b", "cola"])
def test_standin_layouts_read(glue_dir, task):
    train, dev = load_task(glue_dir, task)
    assert len(train) == 24 and len(dev) == 16


def test_best_on_dev_is_nan_safe():
    assert best_index([math.nan, 0.2, 0.5, 0.1]) == 2
    assert best_index([0.3, math.nan, 0.1]) == 0
    assert best_index([math.nan, math.nan]) == 1
    res = KDResult(evals=[(1, {"select": math.nan}), (2, {"select": 0.4}), (3, {"select": 0.3})])
    assert res.best()["select"] == 0.4


def _repro(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "repro.pipeline.cli", *args], capture_output=True, text=True
    )


def test_cli_unknown_method_is_one_line_exit_2(glue_dir):
    out = _repro(
        "crild", "run", "--data", str(glue_dir), "--task", "rte", "--method", "bogus",
        "--teacher", "minilm",
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert "unknown method 'bogus'" in lines[0] and "CR-ILD-released" in lines[0]


def test_cli_method_and_task_case_insensitive(glue_dir, tmp_path):
    from repro.pipeline.cli import main

    teacher = tmp_path / "bert"
    write_standins(tmp_path / "d", ["crild_bert_base_uncased"])
    teacher = tmp_path / "d" / "cr_ild" / "bert-base-uncased"
    code = main(
        [
            "crild", "run", "--data", str(glue_dir), "--task", "RTE", "--method", "kd",
            "--teacher", str(teacher), "--seeds", "0", "--teacher-epochs", "1",
            "--kd-epochs", "1", "--ild-epochs", "1", "--student-layers", "2",
            "--max-seq-len", "16", "--device", "cpu", "--cache-dir", str(tmp_path / "c"),
        ]
    )  # fmt: skip
    assert code == 0


def test_cli_unknown_task_is_one_line(glue_dir):
    out = _repro(
        "crild", "run", "--data", str(glue_dir), "--task", "nope", "--method", "KD",
        "--teacher", "minilm",
    )  # fmt: skip
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "unknown GLUE task 'nope'" in out.stderr
