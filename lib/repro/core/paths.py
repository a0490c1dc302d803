"""Where things live: the repository, the build folder and the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the folder that holds paper-tier data and checkpoints.
DATA_ENV = "REPRO_DATA_DIR"
#: Environment variable naming the build folder (executed notebooks, artifacts, caches).
BUILD_ENV = "REPRO_BUILD_DIR"
#: Environment variable naming another project root (notebooks/, profiles/, lib/); for tests.
ROOT_ENV = "REPRO_ROOT"


def repo_root() -> Path:
    """The project root: ``$REPRO_ROOT``, else the folder above ``lib/`` with ``pyproject.toml``."""
    value = os.environ.get(ROOT_ENV)
    if value:
        return Path(value).expanduser().resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "lib").is_dir():
            return parent
    return Path.cwd()


def build_root() -> Path:
    """The build folder (git-ignored): ``$REPRO_BUILD_DIR`` or ``<repo>/build``."""
    value = os.environ.get(BUILD_ENV)
    return Path(value).expanduser().resolve() if value else repo_root() / "build"


def data_root() -> Path:
    """The user's data folder for paper-tier inputs: ``$REPRO_DATA_DIR`` or ``<repo>/data``."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser().resolve() if value else repo_root() / "data"
