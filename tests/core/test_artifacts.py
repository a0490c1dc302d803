"""Artifacts: tidy CSV + JSON metadata, deterministic bytes, tiers enforced."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from repro.core.artifacts import read_artifact_metadata, start_run


def test_table_and_figure_with_metadata(tmp_path):
    run = start_run("demo/nb", params={"lr": 0.1}, seeds=[0, 1], out_dir=tmp_path)
    df = pd.DataFrame({"method": ["a", "b"], "top1": [0.5, 0.25]})
    run.save_table(
        df, "t1", caption="Mechanism reproduction.", tier="mechanism", paper_items=["twlv_i.table3"]
    )
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    run.save_figure(fig, "f1", caption="A figure.", tier="reported", svg=True)
    run.finish()
    assert (tmp_path / "t1.csv").read_text() == "method,top1\na,0.5\nb,0.25\n"
    meta = json.loads((tmp_path / "t1.json").read_text())
    for key in (
        "profile",
        "parameters",
        "seeds",
        "git_commit",
        "versions",
        "device",
        "wall_time_s",
    ):
        assert key in meta
    assert meta["parameters"] == {"lr": 0.1} and meta["seeds"] == [0, 1]
    assert {m["artifact"] for m in read_artifact_metadata(tmp_path)} == {"t1", "f1"}
    assert (tmp_path / "f1.png").stat().st_size > 0 and (tmp_path / "f1.svg").is_file()


def test_same_figure_gives_same_bytes(tmp_path):
    outputs = []
    for name in ("a", "b"):
        run = start_run("demo/nb", params={}, out_dir=tmp_path / name)
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [2, 0, 1])
        run.save_figure(fig, "f", caption="c", tier="mechanism", svg=True)
        outputs.append(
            ((tmp_path / name / "f.png").read_bytes(), (tmp_path / name / "f.svg").read_bytes())
        )
        plt.close(fig)
    assert outputs[0] == outputs[1]


def test_tier_and_caption_are_required(tmp_path):
    run = start_run("demo/nb", params={}, out_dir=tmp_path)
    with pytest.raises(ValueError, match="tier must be one of"):
        run.save_table(pd.DataFrame({"a": [1]}), "t", caption="x", tier="made-up")
    with pytest.raises(ValueError, match="caption"):
        run.save_table(pd.DataFrame({"a": [1]}), "t", caption="", tier="mechanism")
