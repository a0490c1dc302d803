"""The `repro` command starts without importing torch (dry runs and status stay fast)."""

from __future__ import annotations

import subprocess
import sys


def test_building_the_cli_parser_does_not_import_torch() -> None:
    code = (
        "import sys; from repro.pipeline.cli import build_parser; build_parser(); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr
