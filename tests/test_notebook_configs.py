"""Every notebook's parameters cell equals its lib ``Config`` (names and defaults).

The notebook names its ``Config`` in its one-line ``start_run(ID, Config, globals())``
call; the class is imported by the notebook's own import statements.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
from pathlib import Path

import nbformat
import pytest

from repro.core.config import as_literal, config_defaults
from repro.core.paths import repo_root
from repro.pipeline.params import declared_parameters

NOTEBOOKS = sorted((repo_root() / "notebooks").glob("*/*.ipynb"))


def _code(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "\n".join(
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
    )


def _config_class(nb_path: Path) -> type:
    tree = ast.parse(_code(nb_path))
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "start_run"
    ]
    assert len(calls) == 1, f"{nb_path}: expected one start_run(ID, Config, globals()) call"
    call = calls[0]
    assert len(call.args) == 3, f"{nb_path}: start_run takes (notebook id, Config, globals())"
    nb_id = f"{nb_path.parent.name}/{nb_path.stem}"
    assert ast.literal_eval(call.args[0]) == nb_id, f"{nb_path}: start_run id is not {nb_id}"
    name = call.args[1].id
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return getattr(importlib.import_module(node.module), alias.name)
    raise AssertionError(f"{nb_path}: no import binds {name}")


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parameters_cell_equals_config(nb_path: Path) -> None:
    config_cls = _config_class(nb_path)
    assert dataclasses.is_dataclass(config_cls)
    assert config_cls.__dataclass_params__.frozen, f"{config_cls.__name__} must be frozen"
    declared = declared_parameters(nb_path)
    defaults = {k: as_literal(v) for k, v in config_defaults(config_cls).items()}
    assert list(declared) == list(defaults), "parameters cell and Config list other names"
    assert declared == defaults


def test_no_cell_rebuilds_parameters_by_hand() -> None:
    pattern = re.compile(r"^\s*(\w+)\s*=\s*\1\s*,?\s*$")
    rebuilt = [
        (p.name, line) for p in NOTEBOOKS for line in _code(p).splitlines() if pattern.match(line)
    ]
    assert len(rebuilt) <= 3, rebuilt
