"""Validate profile parameters against each notebook's ``parameters`` cell.

papermill only warns about an unknown parameter; here an unknown or misspelled
name, or a value of the wrong type, is an error naming the notebook and the
parameter, raised before anything runs.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from repro.core.errors import InputError


class ParameterError(InputError):
    """A parameter does not match the notebook's parameters cell."""


def declared_parameters(notebook: Path) -> dict[str, Any]:
    """The notebook's parameters-cell defaults, as Python values.

    Raises:
        ParameterError: when the notebook is missing, has no tagged cell, or a
            default is not a literal.
    """
    import papermill

    if not notebook.is_file():
        raise ParameterError(f"{notebook}: notebook not found")
    declared = papermill.inspect_notebook(str(notebook))
    if not declared:
        raise ParameterError(f"{notebook}: no cell tagged 'parameters' (or it assigns nothing)")
    # papermill silently skips a line it cannot parse (e.g. a comment containing "="), and
    # the parameters after it would then be reported as unknown: catch that here.
    assigned = _assigned_names(notebook)
    missed = [name for name in assigned if name not in declared]
    if missed:
        raise ParameterError(
            f"{notebook}: papermill cannot parse the parameters-cell line(s) for {missed}; "
            "keep one literal assignment per line, without '=' in its comment"
        )
    values = {}
    for name, info in declared.items():
        try:
            values[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError) as exc:
            raise ParameterError(
                f"{notebook}: parameter '{name}' default {info['default']!r} is not a literal"
            ) from exc
    return values


def _assigned_names(notebook: Path) -> list[str]:
    """Names assigned at top level in the notebook's parameters cell."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return [
                target.id
                for node in tree.body
                if isinstance(node, ast.Assign | ast.AnnAssign)
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Name)
            ]
    return []


def _type_ok(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    return isinstance(value, type(default))


def validate_parameters(
    notebook_id: str,
    notebook: Path,
    params: Mapping[str, Any],
    declared: Mapping[str, Any] | None = None,
) -> None:
    """Check every name and type in ``params`` against the notebook's parameters cell.

    ``declared`` (from :func:`declared_parameters`) saves re-reading the notebook.
    """
    declared = declared if declared is not None else declared_parameters(notebook)
    for name, value in params.items():
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ParameterError(
                f"notebook '{notebook_id}': unknown parameter '{name}'{hint} "
                f"(declared: {', '.join(sorted(declared))})"
            )
        default = declared[name]
        if not _type_ok(default, value):
            raise ParameterError(
                f"notebook '{notebook_id}': parameter '{name}' expects "
                f"{type(default).__name__} (default {default!r}), got "
                f"{type(value).__name__} {value!r}"
            )


def parse_override(text: str) -> tuple[str | None, str, Any]:
    """Parse ``-p [NOTEBOOK_GLOB:]NAME=VALUE``; VALUE is read as YAML (``0.1``, ``[1, 2]``)."""
    if "=" not in text:
        raise ParameterError(f"-p {text!r}: expected NAME=VALUE")
    key, _, raw = text.partition("=")
    scope, _, name = key.rpartition(":")
    if not name.isidentifier():
        raise ParameterError(f"-p {text!r}: '{name}' is not a valid parameter name")
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError as exc:
        raise ParameterError(f"-p {text!r}: value is not valid YAML ({exc})") from exc
    return (scope or None), name, value
