"""``repro build|run --dry-run``: the plan's totals on a small profile of known cost."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from repro.core import manifests
from repro.pipeline import cli
from repro.pipeline.costmodel import CostModelError, evaluate, load_cost_model
from repro.pipeline.plan import (
    format_plan,
    make_plan,
    makespan,
    plan_json,
    plan_markdown,
    plan_page,
)
from repro.pipeline.profiles import load_profile

COST = """
gpu_speedup: {value: 5, assumption: "ASSUMPTION: test"}
default_overhead_s: 7
constants: {per_arch: {t5-small: 10, t5-base: 30}}
notebooks:
  nash/accounting:
    work: "sum(per_arch[a] for a in archs)"
    unit: shapes
    seconds_per_unit: 1.0
    overhead_s: 2
    measured: test
    paper_scale: "1 if rehearsal else 2"
    paper_scale_note: "ASSUMPTION: test scale"
"""


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    (data / "x").mkdir(parents=True)
    (data / "x" / "a.bin").write_bytes(b"0123456789")
    profile = tmp_path / "small.yaml"
    profile.write_text(
        f"""
name: small
data_dir: {data}
notebooks:
  nash/reported_claims:
    parameters: {{}}
  nash/accounting:
    parameters: {{archs: [t5-small, t5-base]}}
    data: [ext_a, ext_b]
    resources: {{cpus: 1, gpus: 1}}
"""
    )
    model = tmp_path / "cost.yaml"
    model.write_text(COST)
    return profile, model


def _entries(tmp_path: Path) -> dict[str, manifests.Entry]:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "m.yaml").write_text(
        """
entries:
  - name: ext_a
    kind: dataset
    files: [{path: x/a.bin, url: null, sha256: null, size_bytes: null}]
  - name: ext_b
    kind: dataset
    files: [{path: x/b.bin, url: null, sha256: null, size_bytes: 1000}]
"""
    )
    return manifests.load_all(folder)


def test_plan_totals_match_the_known_cost(tmp_path):
    profile_path, model_path = _setup(tmp_path)
    model = load_cost_model(model_path)
    plan = make_plan(
        load_profile(str(profile_path)), 1, cost_model=model, entries=_entries(tmp_path)
    )
    by_id = {j.notebook_id: j for j in plan.jobs}
    acc = by_id["nash/accounting"]
    assert acc.units == 40  # 10 + 30
    assert acc.seconds == pytest.approx(2 + 40 * 1.0 * 2 / 5)  # overhead + scaled / speed-up
    assert acc.changed == {"archs": ["t5-small", "t5-base"]}
    assert by_id["nash/reported_claims"].seconds == 7  # no entry: default overhead
    assert plan.gpu_hours == pytest.approx(18 / 3600)
    assert plan.wall_seconds == pytest.approx(25)
    assert [(d.name, d.size_bytes, d.state) for d in acc.data] == [
        ("ext_a", 10, "present"),
        ("ext_b", 1000, "missing"),
    ]
    assert plan.data_bytes == 1010
    doc = plan_json(plan)
    assert doc["totals"]["gpu_hours"] == pytest.approx(18 / 3600)
    assert doc["totals"]["wall_seconds"] == pytest.approx(25)
    json.dumps(doc)
    assert "ASSUMPTION" in format_plan(plan)
    assert "| **total** (2 jobs)" in plan_markdown(plan)


def test_workers_shorten_wall_time_not_gpu_hours(tmp_path):
    profile_path, model_path = _setup(tmp_path)
    kwargs = {"cost_model": load_cost_model(model_path), "entries": _entries(tmp_path)}
    one = make_plan(load_profile(str(profile_path)), 1, **kwargs)
    two = make_plan(load_profile(str(profile_path)), 2, **kwargs)
    assert two.wall_seconds == pytest.approx(18)
    assert two.gpu_hours == one.gpu_hours
    assert makespan([5, 4, 3, 3], 2) == 8


def test_expressions_are_whitelisted():
    assert evaluate("sum(x * 2 for x in xs) if n > 0 else 0", {"xs": [1, 2], "n": 1}) == 6
    with pytest.raises(CostModelError, match="not allowed"):
        evaluate("__import__('os')", {})
    with pytest.raises(CostModelError, match="unknown name 'y'"):
        evaluate("y + 1", {})


def test_cli_dry_run_of_the_paper_profile_is_fast_and_runs_nothing(capsys):
    start = time.perf_counter()
    assert cli.main(["build", "--profile", "paper", "--dry-run", "-j", "4", "--json"]) == 0
    assert time.perf_counter() - start < 10
    doc = json.loads(capsys.readouterr().out)
    assert doc["profile"] == "paper" and doc["workers"] == 4
    assert doc["totals"]["jobs"] == len(load_profile("paper").notebooks)
    assert doc["totals"]["gpu_hours"] > 0
    assert cli.main(["run", "--profile", "paper", "--dry-run", "--only", "nash/*"]) == 0
    assert "GPU-hours" in capsys.readouterr().out


def test_the_shipped_cost_model_covers_every_paper_notebook():
    model = load_cost_model()
    assert set(load_profile("paper").notebooks) <= set(model.notebooks)


def test_the_book_page_is_the_paper_plan_as_a_table():
    page = plan_page()
    assert page.startswith("# Cost of the paper tier")
    assert "| **total** (" in page and "GPU-hours" in page and "ASSUMPTION" in page
