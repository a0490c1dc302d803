"""Shared fixtures: a throwaway project tree for pipeline tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest


def write_notebook(path: Path, params: str, body: str) -> Path:
    """A notebook with a tagged parameters cell and one code cell."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(textwrap.dedent(params).strip())
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {path.stem}"),
        cell,
        nbformat.v4.new_code_cell(textwrap.dedent(body).strip()),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def make_notebook():
    """The :func:`write_notebook` helper, for tests in other folders."""
    return write_notebook


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    """A project root with two notebooks, a fake ``repro`` lib and one input file.

    ``demo/alpha`` imports ``repro.alpha`` and reads ``inputs/a.txt``;
    ``demo/beta`` imports ``repro.beta`` (which imports ``repro.shared``).
    """
    root = tmp_path / "proj"
    lib = root / "lib" / "repro"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    (lib / "alpha.py").write_text("VALUE = 1\n")
    (lib / "shared.py").write_text("FACTOR = 2\n")
    (lib / "beta.py").write_text("from repro.shared import FACTOR\nVALUE = 10 * FACTOR\n")
    (root / "data_manifests").mkdir()
    (root / "inputs").mkdir()
    (root / "inputs" / "a.txt").write_text("hello\n")
    write_notebook(
        root / "notebooks" / "demo" / "alpha.ipynb",
        "n = 3  # how many\nscale = 0.5  # a float\nname = 'x'  # a string",
        """
        import os, pathlib
        from repro.alpha import VALUE
        out = pathlib.Path(os.environ["REPRO_ARTIFACT_DIR"])
        (out / "alpha.csv").write_text(f"n,value\\n{n},{VALUE * scale}\\n")
        """,
    )
    write_notebook(
        root / "notebooks" / "demo" / "beta.ipynb",
        "fail = False  # raise on purpose",
        """
        import os, pathlib
        from repro.beta import VALUE
        if fail:
            raise RuntimeError("beta failed on purpose")
        pathlib.Path(os.environ["REPRO_ARTIFACT_DIR"], "beta.csv").write_text(f"v\\n{VALUE}\\n")
        """,
    )
    profile = root / "profiles" / "test.yaml"
    profile.parent.mkdir()
    profile.write_text(
        textwrap.dedent(
            """
            name: test
            description: pipeline tests
            notebooks:
              demo/alpha:
                parameters: {n: 4}
                inputs: [inputs/a.txt]
              demo/beta:
                parameters: {}
            """
        )
    )
    return root
