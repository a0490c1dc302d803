"""Executing a profile: the cache re-runs exactly what changed; failures stay isolated."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from repro.pipeline.book import assemble
from repro.pipeline.layout import Layout
from repro.pipeline.profiles import load_profile
from repro.pipeline.runner import run_profile

pytestmark = pytest.mark.slow


def _run(root: Path, *overrides: str, only: tuple[str, ...] = ()) -> dict[str, str]:
    outcomes = run_profile(
        str(root / "profiles" / "test.yaml"),
        only=only,
        overrides=overrides,
        layout=Layout(root / "build" / "test"),
        root=root,
        kernel_env={"PYTHONPATH": str(root / "lib")},
    )
    return {o.notebook_id: o.status for o in outcomes}


def test_cache_invalidation_is_exact(mini_project: Path):
    root = mini_project
    layout = Layout(root / "build" / "test")
    assert _run(root) == {"demo/alpha": "ok", "demo/beta": "ok"}
    assert layout.artifacts("demo/alpha").joinpath("alpha.csv").read_text() == "n,value\n4,0.5\n"
    assert _run(root) == {"demo/alpha": "cached", "demo/beta": "cached"}

    # A parameter override re-runs only the notebook that declares it.
    assert _run(root, "scale=2.0") == {"demo/alpha": "ok", "demo/beta": "cached"}
    assert layout.artifacts("demo/alpha").joinpath("alpha.csv").read_text() == "n,value\n4,2.0\n"

    # A lib module reached only through another module's import re-runs only its user.
    (root / "lib" / "repro" / "shared.py").write_text("FACTOR = 3\n")
    assert _run(root, "scale=2.0") == {"demo/alpha": "cached", "demo/beta": "ok"}
    assert layout.artifacts("demo/beta").joinpath("beta.csv").read_text() == "v\n30\n"

    # An input file listed in the profile.
    (root / "inputs" / "a.txt").write_text("changed\n")
    assert _run(root, "scale=2.0") == {"demo/alpha": "ok", "demo/beta": "cached"}

    # The notebook itself (a markdown edit counts: the page would change).
    nb_path = root / "notebooks" / "demo" / "beta.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\nMore prose."
    nbformat.write(nb, nb_path)
    assert _run(root, "scale=2.0") == {"demo/alpha": "cached", "demo/beta": "ok"}


def test_failure_is_isolated_and_shown_as_failure_page(mini_project: Path):
    root = mini_project
    layout = Layout(root / "build" / "test")
    assert _run(root) == {"demo/alpha": "ok", "demo/beta": "ok"}
    statuses = _run(root, "fail=true")
    assert statuses == {"demo/alpha": "cached", "demo/beta": "failed"}
    record = layout.read_status()["demo/beta"]
    assert "beta failed on purpose" in record["error"]
    executed = nbformat.read(layout.executed("demo/beta"), as_version=4)
    outputs = [o for cell in executed.cells for o in cell.get("outputs", [])]
    tracebacks = [o for o in outputs if o.output_type == "error"]
    assert tracebacks and tracebacks[0].evalue == "beta failed on purpose"
    assert not layout.artifacts("demo/beta").exists(), "stale artifacts must not survive a failure"

    src = assemble(load_profile(str(root / "profiles" / "test.yaml")), layout, root)
    page = (src / "demo" / "beta.md").read_text()
    assert "failed" in page and "beta failed on purpose" in page
    assert (src / "demo" / "alpha.ipynb").is_file()
    # A failed notebook is always retried.
    assert _run(root) == {"demo/alpha": "cached", "demo/beta": "ok"}


def test_only_selects_a_subset(mini_project: Path):
    assert _run(mini_project, only=("demo/al*",)) == {"demo/alpha": "ok"}
