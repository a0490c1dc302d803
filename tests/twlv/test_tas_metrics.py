"""Segmentation scores equal the release's ``temporal_action_segmentation/utils/eval.py``.

How the expected values were obtained: the release's ``eval.py`` (repository
twelvelabs-io/video-embeddings-evaluation-framework at 4efffd3) was copied to a folder
outside this repository and its ``func_eval`` run on each case below, written as a
one-split dataset (groundTruth/*.txt, mapping.txt, a test bundle), with predictions as the
numpy string arrays its ``predict`` builds. Every number was also worked out by hand (the
comments give the arithmetic). Beyond these cases, 357 random cases, split 1 of the
shipped GTEA, 50Salads and Breakfast ground truth with perturbed predictions, and all
splits of GTEA (4) and 50Salads (5) through the release's ``eval`` agreed to the last bit
(``==``); the release crashes on a background-only ground truth with non-background
predictions, which is documented in the module instead.
"""

import argparse
import json
import math

import pytest

from repro.core.errors import InputError
from repro.twlv import cli
from repro.twlv.metrics_commands import tas_metrics_command
from repro.twlv.tas_metrics import RELEASE_BACKGROUND, edit_score, segmentation_scores, segments

B = "background"
TAKEN_GT = ["a"] * 4 + [B] * 2 + ["a"] * 4  # segments a[0,4], a[6,9]
TAKEN_PRED = ["a", B] + ["a"] * 5 + ["x"] * 3  # segments a[0,1], a[2,7], x[7,9]
BASIC_GT = ["a"] * 4 + ["b"] * 4
BASIC_PRED = ["a"] * 2 + ["b"] * 6


def scores(gt, pred, background=RELEASE_BACKGROUND):
    return segmentation_scores(gt, pred, background)


def test_segment_boundaries_end_at_the_last_index():
    # the final segment ends at n - 1 (not n); background frames form no segment
    assert segments(list("aab"), ()) == (["a", "b"], [0, 2], [2, 2])
    assert segments(["a", B, B, "a"], [B]) == (["a", "a"], [0, 3], [1, 3])
    assert segments([B, B], [B]) == ([], [], [])


def test_basic_case():
    # a: IoU 2/4, b: IoU 3/5 -> all matched; 6 of 8 frames right -> release 75/100/100
    out = scores([BASIC_GT], [BASIC_PRED])
    assert out == {"accuracy": 75.0, "edit": 100.0, "f1@10": 100.0, "f1@25": 100.0, "f1@50": 100.0}


def test_best_match_already_taken_is_a_false_positive():
    # a[0,1] takes a[0,4] (IoU 0.25); a[2,7]'s best is a[0,4] (2/7), taken -> FP although
    # a[6,9] (1/7 >= 0.1) is free; x -> FP. tp 1, fp 2, fn 1 -> F1 40; at 0.5 nothing.
    # Edit: [a,a,x] vs [a,a] = 1 - 1/3 in float32. Release: 40.0 / 66.66666412353516 / 40 / 40 / 0
    out = scores([TAKEN_GT], [TAKEN_PRED])
    assert out["accuracy"] == 40.0
    assert out["edit"] == 66.66666412353516
    assert (out["f1@10"], out["f1@25"], out["f1@50"]) == (40.0, 40.0, 0.0)


def test_one_frame_final_segment_never_matches():
    # pred b = [3,3] has zero length: IoU 0 -> FP, gt b unmatched. Release: 75/100/50/50/50
    out = scores([list("aabb")], [list("aaab")])
    assert out == {"accuracy": 75.0, "edit": 100.0, "f1@10": 50.0, "f1@25": 50.0, "f1@50": 50.0}


def test_counts_are_summed_over_videos_and_edit_averaged():
    # F1 from summed counts: @10 tp 3 fp 2 fn 1 -> 66.67 (mean of per-video F1 would be 70);
    # @50 tp 2 fp 3 fn 2 -> 44.44; accuracy 10/18; Edit (66.666664 + 100) / 2 in float32
    out = scores([TAKEN_GT, BASIC_GT], [TAKEN_PRED, BASIC_PRED])
    assert out["accuracy"] == 55.55555555555556
    assert out["edit"] == 83.33332824707031
    assert out["f1@10"] == out["f1@25"] == 66.66666666666666
    assert out["f1@50"] == 44.44444444444445


def test_background_only_video_gives_nan_edit_as_the_release():
    # both background-only: Levenshtein 0 / max(0, 0) -> NaN in the release, and the mean
    # with it; F1 from the other video (a TP, zero-length b FP, b FN) -> 50. Release: 100/nan/50
    out = scores([[B] * 3, list("aab")], [[B] * 3, list("aab")])
    assert out["accuracy"] == 100.0 and math.isnan(out["edit"])
    assert out["f1@10"] == out["f1@50"] == 50.0
    assert math.isnan(edit_score([B], [B], [B]))


def test_background_only_prediction_and_ground_truth():
    # prediction all background: no segment -> Edit 0, F1 0 (release: 0/0/0/0/0)
    assert scores([list("aabb")], [[B] * 4]) == dict.fromkeys(
        ("accuracy", "edit", "f1@10", "f1@25", "f1@50"), 0.0
    )
    # ground truth all background: the release crashes in f_score; here the two predicted
    # segments are false positives (F1 0) and Edit is 1 - 2/2 = 0
    out = scores([[B] * 4], [list("aabb")])
    assert out["edit"] == 0.0 and out["f1@10"] == 0.0 and out["accuracy"] == 0.0


def test_background_choice_matters():
    # with "background" excluded the gap splits a into two segments: pred a[0,6] IoU 3/6 with
    # the first -> tp 1, fn 1 -> F1 66.67; Edit [a] vs [a,a] -> 50 (release: 85.71/50/66.67)
    gt, pred = ["a"] * 3 + [B] + ["a"] * 3, ["a"] * 7
    out = scores([gt], [pred])
    assert out["accuracy"] == 85.71428571428571 and out["edit"] == 50.0
    assert out["f1@50"] == 66.66666666666666
    # Breakfast's SIL is an action for the release; with no background the gap is a segment
    assert scores([gt], [pred], ())["edit"] == pytest.approx(100 / 3, abs=1e-4)


def test_longer_prediction_counts_its_extra_frames_in_segments_only():
    # accuracy over the 4 GT frames; pred b = [2,4] vs gt b = [2,3] -> IoU 0.5 (release: 100s)
    out = scores([list("aabb")], [list("aabbb")])
    assert out["accuracy"] == 100.0 and out["f1@50"] == 100.0
    with pytest.raises(ValueError, match="expected >= 4"):
        scores([list("aabb")], [list("aab")])


def _write(folder, videos):
    folder.mkdir()
    for name, frames in videos.items():
        (folder / f"{name}.txt").write_text("".join(f + "\n" for f in frames))
    return folder


def test_command_reads_folders_and_prints_json(tmp_path):
    gt = _write(tmp_path / "gt", {"v1": TAKEN_GT, "v2": BASIC_GT, "unused": ["a"]})
    pred = _write(tmp_path / "pred", {"v1": TAKEN_PRED, "v2": BASIC_PRED})
    out = json.loads(tas_metrics_command(gt, pred, ["background"], as_json=True))
    assert out["videos"] == 2 and out["f1@50"] == 44.44444444444445
    bundle = tmp_path / "test.split1.bundle"
    bundle.write_text("v2.txt\n")
    one = json.loads(tas_metrics_command(gt, pred, ["background"], [bundle], as_json=True))
    assert one["videos"] == 1 and one["accuracy"] == 75.0
    # two splits, averaged as the release's eval(): accuracy (40 + 75) / 2, F1@10 (40 + 100) / 2
    # (not the pooled 66.67), F1@50 (0 + 100) / 2; release on the same split files:
    # acc 57.5, edit 83.33332824707031, F1 [70.0, 70.0, 50.0]
    (tmp_path / "s1.bundle").write_text("v1.txt\n")
    (tmp_path / "s2.bundle").write_text("v2.txt\n")
    both = [tmp_path / "s1.bundle", tmp_path / "s2.bundle"]
    two = json.loads(tas_metrics_command(gt, pred, ["background"], both, as_json=True))
    assert (two["accuracy"], two["edit"]) == (57.5, 83.33332824707031)
    assert (two["f1@10"], two["f1@25"], two["f1@50"]) == (70.0, 70.0, 50.0)
    assert [part["videos"] for part in two["splits"]] == [1, 1]
    nan = _write(tmp_path / "bg", {"v": [B, B]})
    assert json.loads(tas_metrics_command(nan, nan, [B], as_json=True))["edit"] is None


def test_cli_parses_background_and_fails_with_one_line(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["twlv", "tas-metrics", "g", "p", "--json"])
    assert args.background is None and args.func is cli.handle_tas_metrics  # -> the release's
    assert parser.parse_args(["twlv", "tas-metrics", "g", "p", "--background"]).background == []
    gap = _write(tmp_path / "gap", {"v": ["a"] * 3 + [B] + ["a"] * 3})
    whole = _write(tmp_path / "whole", {"v": ["a"] * 7})
    args = parser.parse_args(["twlv", "tas-metrics", str(gap), str(whole), "--json"])
    assert args.func(args) == 0 and json.loads(capsys.readouterr().out)["edit"] == 50.0
    gt = _write(tmp_path / "gt", {"v": list("aabb")})
    pred = _write(tmp_path / "pred", {"v": list("aa")})
    with pytest.raises(InputError, match=r"pred/v\.txt: 2 frames, expected at least 4"):
        tas_metrics_command(gt, pred, [B])
    (pred / "v.txt").write_text("a\n\nb\nb\n")
    with pytest.raises(InputError, match=r"pred/v\.txt: line 2: expected one action name"):
        tas_metrics_command(gt, pred, [B])
    (pred / "v.txt").write_text("a\na\nb\nb\n")
    (pred / "w.txt").write_text("a\n")
    with pytest.raises(InputError, match=r"gt/w\.txt: no such file"):
        tas_metrics_command(gt, pred, [B])
