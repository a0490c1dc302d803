"""One home for every setting: a notebook's parameters cell *is* its ``Config``.

Each computing notebook has a frozen dataclass ``Config`` in ``lib/`` whose fields and
defaults are exactly the notebook's parameters cell (papermill needs the literals in the
cell; ``tests/test_notebook_configs.py`` keeps the two equal). The cell after the
parameters is one line::

    run, cfg = start_run("nash/pruning_synthetic", Config, globals())

which reads the parameters from the notebook's namespace (after papermill's injected
cell), builds and validates the ``Config``, records it in every artifact's metadata and
returns both. Profiles and CLIs hold overrides of these defaults, never a second copy.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from repro.core.artifacts import Run
from repro.core.artifacts import start_run as _start_artifact_run
from repro.core.errors import InputError

C = TypeVar("C")


class ConfigError(InputError):
    """A parameter value does not fit its ``Config`` field."""


def config_defaults(config_cls: type) -> dict[str, Any]:
    """Field name -> default value of a dataclass (``default_factory`` called)."""
    out = {}
    for f in dataclasses.fields(config_cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def as_literal(value: Any) -> Any:
    """The value as a parameters cell would write it: tuples become lists, recursively."""
    if isinstance(value, tuple | list):
        return [as_literal(v) for v in value]
    if isinstance(value, Mapping):
        return {k: as_literal(v) for k, v in value.items()}
    return value


def _coerce(name: str, value: Any, annotation: Any, owner: str) -> Any:
    """Lists to tuples where the field is a tuple; ints to floats where it is a float."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is not type(None):
                try:
                    return _coerce(name, value, arg, owner)
                except ConfigError:
                    continue
        raise ConfigError(f"{owner}.{name}={value!r}: expected {annotation}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{owner}.{name}={value!r}: expected a list")
        inner = args[0] if args else Any
        return tuple(_coerce(name, v, inner, owner) for v in value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (int, float, str, bool) and not isinstance(value, annotation):
        raise ConfigError(
            f"{owner}.{name}={value!r}: expected {annotation.__name__}, got {type(value).__name__}"
        )
    if annotation is int and isinstance(value, bool):
        raise ConfigError(f"{owner}.{name}={value!r}: expected int, got bool")
    return value


def build_config(config_cls: type[C], values: Mapping[str, Any]) -> C:
    """``config_cls(**values)`` with types coerced and unknown names refused.

    Raises:
        ConfigError: naming the field and what was expected.
    """
    owner = config_cls.__name__
    hints = typing.get_type_hints(config_cls)
    names = {f.name for f in dataclasses.fields(config_cls) if f.init}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{owner}: unknown setting(s) {unknown}; known: {sorted(names)}")
    kwargs = {k: _coerce(k, v, hints.get(k, Any), owner) for k, v in values.items()}
    try:
        return config_cls(**kwargs)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise ConfigError(f"{owner}: {exc}") from exc


def from_namespace(config_cls: type[C], namespace: Mapping[str, Any]) -> C:
    """Build ``config_cls`` from the names of a notebook's namespace (its parameters)."""
    values = {
        f.name: namespace[f.name]
        for f in dataclasses.fields(config_cls)
        if f.init and f.name in namespace
    }
    return build_config(config_cls, values)


def _seeds(cfg: Any) -> list[int]:
    seeds = getattr(cfg, "seeds", None)
    if seeds is None and hasattr(cfg, "seed"):
        seeds = [cfg.seed]
    return [int(s) for s in (seeds or [])]


def start_run(
    notebook_id: str,
    config_cls: type[C],
    namespace: Mapping[str, Any],
    out_dir: str | os.PathLike[str] | Path | None = None,
) -> tuple[Run, C]:
    """Validate the notebook's parameters into ``config_cls``; begin its artifact run.

    Args:
        notebook_id: e.g. ``"nash/pruning_synthetic"``.
        config_cls: the notebook's frozen ``Config`` dataclass.
        namespace: the notebook's ``globals()`` (parameters cell plus papermill's injection).
        out_dir: artifact folder; default as :func:`repro.core.artifacts.start_run`.

    Returns:
        ``(run, cfg)``; every artifact ``run`` writes records ``cfg`` as its parameters.
    """
    cfg = from_namespace(config_cls, namespace)
    params = as_literal(dataclasses.asdict(cfg))
    run = _start_artifact_run(notebook_id, params=params, seeds=_seeds(cfg), out_dir=out_dir)
    return run, cfg
