"""GLUE TSV loaders on files written here, and metrics against scikit-learn / scipy."""

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

from repro.crild.glue import GlueFormatError, load_task, read_tsv, task_spec
from repro.crild.metrics import accuracy, f1_binary, matthews, pearson, spearman, task_metrics


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


GOOD = {
    "CoLA/train.tsv": ["gj04\t1\t\tthe boy ran .", "gj04\t0\t*\tran boy the ."],
    "SST-2/train.tsv": ["sentence\tlabel", "a fine film\t1", "dull\t0"],
    "MRPC/train.tsv": ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String", "1\t1\t2\ta b\ta b ."],
    "STS-B/train.tsv": [
        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore",
        "0\tmain\tf\t2012\t1\tnone\tnone\ta plane\tan aircraft\t4.6",
    ],
    "QQP/train.tsv": ["id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate", "0\t1\t2\tq1?\tq2?\t0"],
    "MNLI/train.tsv": ["index\tsentence1\tsentence2\tgold_label", "0\tp\th\tneutral"],
    "QNLI/train.tsv": ["index\tquestion\tsentence\tlabel", "0\tq?\ts .\tnot_entailment"],
    "RTE/train.tsv": ["index\tsentence1\tsentence2\tlabel", "0\tp\th\tentailment"],
}


@pytest.fixture
def glue_root(tmp_path):
    for rel, lines in GOOD.items():
        _write(tmp_path / rel, lines)
        dev = "dev_matched.tsv" if rel.startswith("MNLI") else "dev.tsv"
        _write(tmp_path / rel.split("/")[0] / dev, lines)
    _write(tmp_path / "MNLI/dev_mismatched.tsv", GOOD["MNLI/train.tsv"])
    return tmp_path


@pytest.mark.parametrize(
    ("task", "n", "first_label", "has_b"),
    [
        ("cola", 2, 1, False),
        ("sst-2", 2, 1, False),
        ("mrpc", 1, 1, True),
        ("sts-b", 1, 4.6, True),
        ("qqp", 1, 0, True),
        ("mnli", 1, 2, True),
        ("mnli-mm", 1, 2, True),
        ("qnli", 1, 1, True),
        ("rte", 1, 0, True),
    ],
)
def test_load_every_task(glue_root, task, n, first_label, has_b):
    train, dev = load_task(glue_root, task)
    assert len(train) == n and len(dev) == n
    assert train.labels[0] == pytest.approx(first_label)
    assert (train.text_b is not None) == has_b


def test_task_folder_and_aliases(glue_root):
    train, _ = load_task(glue_root / "SST-2", "SST2")
    assert train.text_a == ["a fine film", "dull"]
    assert task_spec("STS-B").name == "sts-b"
    with pytest.raises(KeyError, match="unknown GLUE task"):
        task_spec("wnli2")


def test_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train\.tsv"):
        load_task(tmp_path, "rte")


def test_missing_column_names_file_and_column(tmp_path):
    p = tmp_path / "RTE" / "train.tsv"
    _write(p, ["index\tsentence1\tsentence2\tlab", "0\ta\tb\tentailment"])
    with pytest.raises(GlueFormatError, match=r"train.tsv:1: missing column 'label'"):
        read_tsv(p, task_spec("rte"))


def test_bad_label_names_line_field_and_expected(tmp_path):
    p = tmp_path / "RTE" / "train.tsv"
    _write(p, ["index\tsentence1\tsentence2\tlabel", "0\ta\tb\tentailment", "1\ta\tb\tmaybe"])
    with pytest.raises(GlueFormatError, match=r"train.tsv:3: field 'label' = 'maybe'; expected"):
        read_tsv(p, task_spec("rte"))


def test_bad_regression_score(tmp_path):
    p = tmp_path / "STS-B" / "train.tsv"
    _write(p, [GOOD["STS-B/train.tsv"][0], "0\tm\tf\t2012\t1\tn\tn\ta\tb\thigh"])
    with pytest.raises(GlueFormatError, match=r":2: field 'score' = 'high'; expected a float"):
        read_tsv(p, task_spec("sts-b"))


def test_ragged_row_names_line(tmp_path):
    p = tmp_path / "SST-2" / "train.tsv"
    _write(p, ["sentence\tlabel", "good\t1", "bad\t0\textra"])
    with pytest.raises(GlueFormatError, match=r"train.tsv:3: 3 fields; expected 2 \(ragged row\)"):
        read_tsv(p, task_spec("sst-2"))


def test_ragged_cola_row(tmp_path):
    p = tmp_path / "CoLA" / "train.tsv"
    _write(p, ["gj04\t1\t\tok .", "gj04\t1\tok ."])
    with pytest.raises(GlueFormatError, match=r":2: 3 fields; expected 4"):
        read_tsv(p, task_spec("cola"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classification_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    gold, pred = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert accuracy(pred, gold) == pytest.approx(accuracy_score(gold, pred))
    assert f1_binary(pred, gold) == pytest.approx(f1_score(gold, pred))
    assert matthews(pred, gold) == pytest.approx(matthews_corrcoef(gold, pred))


def test_degenerate_metrics_match_sklearn():
    gold, pred = np.array([0, 1, 1]), np.zeros(3, int)
    assert matthews(pred, gold) == matthews_corrcoef(gold, pred) == 0.0
    assert f1_binary(pred, gold) == f1_score(gold, pred, zero_division=0) == 0.0


@pytest.mark.parametrize("seed", [0, 1])
def test_correlations_equal_scipy(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, 40).astype(float)  # ties exercise average ranks
    y = x + rng.normal(0, 1, 40)
    assert pearson(x, y) == pytest.approx(pearsonr(x, y)[0])
    assert spearman(x, y) == pytest.approx(spearmanr(x, y)[0])


def test_task_metrics_selection():
    gold, pred = np.array([1, 0, 1, 1]), np.array([1, 0, 0, 1])
    m = task_metrics("mrpc", pred, gold)
    assert m["select"] == m["acc"] == 0.75
    assert m["acc_and_f1"] == pytest.approx((0.75 + 0.8) / 2)
    assert task_metrics("cola", pred, gold)["select"] == pytest.approx(
        matthews_corrcoef(gold, pred)
    )
    s = task_metrics("sts-b", np.array([1.0, 2, 3]), np.array([1.0, 3, 2]))
    assert s["select"] == pytest.approx((s["pearson"] + s["spearman"]) / 2)
    with pytest.raises(KeyError, match="unknown task"):
        task_metrics("foo", pred, gold)
