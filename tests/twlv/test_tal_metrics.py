"""Detection mAP equals the release's ``ANETdetection`` (ActionFormer's ``metrics.py``).

How the expected values were obtained: ``temporal_action_localization/libs/utils/metrics.py``
of the release (twelvelabs-io/video-embeddings-evaluation-framework at 4efffd3) was copied
outside this repository; each case below was written as an annotation JSON and a detection
JSON and scored with ``ANETdetection(gt, None, tiou_thresholds).evaluate(pred)``. The
numbers were also worked out by hand (comments). Beyond these cases, 300 random cases
(ties, label gaps, duplicates, videos without ground truth) and 16,434 jittered detections
on the shipped THUMOS14 test annotations agreed to the last bit (``==``).
"""

import argparse
import json
import subprocess
import sys

import pandas as pd
import pytest

from repro.core.errors import InputError
from repro.twlv import cli
from repro.twlv.metrics_commands import tal_metrics_command
from repro.twlv.tal_metrics import ANET_TIOU, THUMOS_TIOU, detection_map


def gt(*rows):
    return pd.DataFrame(rows, columns=["video_id", "t_start", "t_end", "label"])


def pred(*rows):
    return pd.DataFrame(rows, columns=["video_id", "t_start", "t_end", "label", "score"])


def test_threshold_presets():
    assert list(THUMOS_TIOU) == pytest.approx([0.3, 0.4, 0.5, 0.6, 0.7])
    assert len(ANET_TIOU) == 10 and ANET_TIOU[0] == 0.5 and ANET_TIOU[-1] == pytest.approx(0.95)


def test_tied_scores_rank_the_later_prediction_first():
    # equal scores: reversed argsort puts row 2 ([0,5], tIoU 0.5) first. At 0.7 it is a FP
    # and [0,10] a TP: precision [0, 1/2], recall [0, 1] -> AP 0.5. Release: [1.0, 0.5], 0.75
    g = gt(("v1", 0, 10, 0))
    out = detection_map(g, pred(("v1", 0, 10, 0, 0.5), ("v1", 0, 5, 0, 0.5)), [0.5, 0.7])
    assert out["mAP"] == [1.0, 0.5] and out["average"] == 0.75
    # swapped rows: [0,10] first -> AP 1 at both (release: [1.0, 1.0])
    swapped = detection_map(g, pred(("v1", 0, 5, 0, 0.5), ("v1", 0, 10, 0, 0.5)), [0.5, 0.7])
    assert swapped["mAP"] == [1.0, 1.0]


def test_label_gap_maps_raw_labels_like_the_release():
    # GT labels 1 and 4 become classes 0 and 1; prediction label 0 is not in the GT and keeps
    # its raw value 0, so it is scored as label 1 (a TP); label 4 has no prediction (label 7
    # is ignored): AP [1, 0] -> mAP 0.5 (release: 0.5)
    g = gt(("v1", 0, 10, 1), ("v1", 20, 30, 4))
    out = detection_map(g, pred(("v1", 0, 10, 0, 0.9), ("v1", 20, 30, 7, 0.8)), [0.5])
    assert out["mAP"] == [0.5] and out["per_class"] == {1: [1.0], 4: [0.0]}


def test_labels_without_ground_truth_are_ignored():
    # GT labels 0, 1; the label-7 prediction counts nowhere; class 1 found -> [0, 1] -> 0.5
    g = gt(("v1", 0, 10, 0), ("v1", 20, 30, 1))
    out = detection_map(g, pred(("v1", 0, 10, 7, 0.9), ("v1", 20, 30, 1, 0.8)), [0.5])
    assert out["mAP"] == [0.5]


def test_prediction_for_a_video_without_ground_truth_is_a_false_positive():
    # vX (score 0.9) FP then v1 TP: precision [0, 1/2], recall [0, 1] -> AP 0.5 (release 0.5)
    out = detection_map(
        gt(("v1", 0, 10, 0)), pred(("vX", 0, 10, 0, 0.9), ("v1", 0, 10, 0, 0.8)), [0.5]
    )
    assert out["mAP"] == [0.5]


def test_empty_predictions_score_zero():
    g = gt(("v1", 0, 10, 0), ("v2", 0, 4, 1))
    assert detection_map(g, pred(), [0.3, 0.5])["mAP"] == [0.0, 0.0]  # release: [0.0, 0.0]
    assert detection_map(g, pd.DataFrame(), [0.5])["average"] == 0.0


def test_duplicate_and_empty_ground_truth_instances_are_dropped():
    # [0.0005, 10] duplicates [0, 10] within 1e-3 and [5, 5] is empty: one instance, so the
    # second identical detection is a FP after a TP -> AP 1 (release: 1.0)
    g = gt(("v1", 0, 10, 0), ("v1", 0.0005, 10, 0), ("v1", 5, 5, 0))
    out = detection_map(g, pred(("v1", 0, 10, 0, 0.9), ("v1", 0, 10, 0, 0.8)), [0.5])
    assert out["mAP"] == [1.0]


def test_per_class_average_and_thresholds():
    # class 0 (2 GT): TP, FP, TP (tIoU 0.8) -> precision [1, .5, .67], recall [.5, .5, 1]
    # -> AP .5 + .5 * 2/3 (float32) = 0.8333; class 1 missed -> mAP 0.41667 up to 0.7; at
    # 0.9 the third is a FP -> AP 0.5 -> mAP 0.25. Release: [0.4166666716337204] * 3 + [0.25]
    g = gt(("v1", 0, 10, 0), ("v1", 20, 30, 0), ("v2", 0, 4, 1))
    p = pred(
        ("v1", 0, 10, 0, 0.9),
        ("v1", 12, 18, 0, 0.8),
        ("v1", 21, 29, 0, 0.7),
        ("v2", 10, 14, 1, 0.9),
    )
    out = detection_map(g, p, [0.3, 0.5, 0.7, 0.9])
    assert out["mAP"] == [0.4166666716337204] * 3 + [0.25]
    assert out["average"] == 0.3750000037252903


def test_bad_frames_fail():
    with pytest.raises(ValueError, match="missing columns"):
        detection_map(gt(("v", 0, 1, 0)).drop(columns="label"), pred(), [0.5])
    with pytest.raises(ValueError, match="no instance of positive length"):
        detection_map(gt(("v", 1, 1, 0)), pred(), [0.5])


def _files(tmp_path, layout):
    db = {
        "v1": {"subset": "Test", "annotations": [
            {"segment": [0, 10], "label_id": 0, "label": "Jump"},
            {"segment": [20, 30], "label_id": 0, "label": "Jump"}]},
        "v2": {"subset": "Test", "annotations": [
            {"segment": [0, 4], "label_id": 1, "label": "Run"}]},
        "v3": {"subset": "Validation", "annotations": [
            {"segment": [0, 4], "label_id": 1},
            {"segment": [5, 9], "label_id": 2, "label": "Swim"}]},
    }  # fmt: skip
    dets = [
        ("v1", 0, 10, 0, 0.9),
        ("v1", 12, 18, 0, 0.8),
        ("v1", 21, 29, 0, 0.7),
        ("v2", 10, 14, 1, 0.9),
    ]
    if layout == "database":
        preds = {"database": {}}
        for v, s, e, lab, sc in dets:
            preds["database"].setdefault(v, []).append(
                {"segment": [s, e], "label_id": lab, "scores": sc}
            )
    else:
        names = {0: "Jump", 1: "Run"}
        preds = {"results": {}}
        for v, s, e, lab, sc in dets:
            preds["results"].setdefault(v, []).append(
                {"segment": [s, e], "label": names[lab], "score": sc}
            )
    (tmp_path / "gt.json").write_text(json.dumps({"database": db}))
    (tmp_path / "pred.json").write_text(json.dumps(preds))
    return tmp_path / "gt.json", tmp_path / "pred.json"


@pytest.mark.parametrize("layout", ["database", "results"])
def test_command_reads_both_prediction_layouts(tmp_path, layout):
    g, p = _files(tmp_path, layout)
    out = json.loads(tal_metrics_command(g, p, [0.3, 0.5, 0.7, 0.9], subset="test", as_json=True))
    assert out["mAP"] == [0.4166666716337204] * 3 + [0.25] and out["videos"] == 2
    # a class named only in another subset maps to its id (2), a label without ground truth
    # in the scored subset: ignored (release, label_id 2 added to the detections: unchanged)
    if layout == "results":
        doc = json.loads(p.read_text())
        doc["results"]["v1"].append({"segment": [0, 10], "label": "Swim", "score": 1.0})
        p.write_text(json.dumps(doc))
        again = tal_metrics_command(g, p, [0.3, 0.5, 0.7, 0.9], subset="test", as_json=True)
        assert json.loads(again)["mAP"] == out["mAP"]
    # without --subset v3 adds a missed class-1 instance and class 2 (no detection): AP
    # [0.8333, 0, 0] -> 0.2778 (release on the same files: 0.2777777810891469)
    every = json.loads(tal_metrics_command(g, p, [0.5], as_json=True))
    assert every["instances"] == 5 and every["mAP"] == [0.2777777810891469]
    assert "average mAP: 37.50 %" in tal_metrics_command(g, p, [0.3, 0.5, 0.7, 0.9], "test")


def test_cli_defaults_and_one_line_errors(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    g, p = _files(tmp_path, "results")
    # the presets are the release's linspace values exactly (0.39999999999999997, not 0.4)
    for extra, expected in (([], THUMOS_TIOU), (["--preset", "anet"], ANET_TIOU)):
        args = parser.parse_args(["twlv", "tal-metrics", str(g), str(p), "--json", *extra])
        assert args.func(args) == 0
        assert json.loads(capsys.readouterr().out)["tiou"] == list(expected)
    args = parser.parse_args(["twlv", "tal-metrics", str(g), str(p), "--tiou", "0.5", "--json"])
    assert args.func(args) == 0 and json.loads(capsys.readouterr().out)["tiou"] == [0.5]
    p.write_text(json.dumps({"results": {"v1": [{"segment": [0, 1], "label": "Fly", "score": 1}]}}))
    with pytest.raises(InputError, match=r"pred\.json: results\['v1'\]\[0\]\.label 'Fly' is not"):
        tal_metrics_command(g, p, [0.5])
    p.write_text(json.dumps({"database": {"v1": [{"segment": [0], "label_id": 0, "scores": 1}]}}))
    with pytest.raises(InputError, match=r"pred\.json: database\['v1'\]\[0\] field 'segment'"):
        tal_metrics_command(g, p, [0.5])
    p.write_text(json.dumps({"database": {"v1": [{"segment": [0, 1], "label_id": 0}]}}))
    with pytest.raises(InputError, match=r"needs field 'scores'"):
        tal_metrics_command(g, p, [0.5])
    p.write_text("{")
    with pytest.raises(InputError, match=r"pred\.json: unreadable JSON"):
        tal_metrics_command(g, p, [0.5])
    with pytest.raises(InputError, match=r"gt\.json: no annotated instance of subset 'train'"):
        tal_metrics_command(g, p, [0.5], subset="train")
    with pytest.raises(InputError, match=r"--tiou \[1\.5\]"):
        tal_metrics_command(g, p, [1.5])


def test_repro_command_prints_one_line_and_exits_2(tmp_path):
    gt_file = tmp_path / "gt.json"
    gt_file.write_text(json.dumps({"database": {"v": {"annotations": [
        {"segment": [1, 1], "label_id": 0}]}}}))  # fmt: skip
    pred_file = tmp_path / "pred.json"
    pred_file.write_text(json.dumps({"database": {}}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "repro.pipeline.cli",
            "twlv",
            "tal-metrics",
            str(gt_file),
            str(pred_file),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip().count("\n") == 0 and "gt.json: ground truth: no instance" in proc.stderr
    )
