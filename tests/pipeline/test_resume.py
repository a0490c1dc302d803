"""A build killed mid-way (SIGKILL of its process group) leaves nothing half-done behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from repro.pipeline.layout import Layout

pytestmark = pytest.mark.slow


@pytest.fixture
def resume_project(tmp_path: Path, make_notebook) -> Path:
    root = tmp_path / "proj"
    for name in ("first", "last"):
        make_notebook(
            root / "notebooks" / "demo" / f"{name}.ipynb",
            "x = 1  # a value",
            """
            import os, pathlib
            pathlib.Path(os.environ["REPRO_ARTIFACT_DIR"], "t.csv").write_text(f"x\\n{x}\\n")
            """,
        )
    make_notebook(
        root / "notebooks" / "demo" / "slow.ipynb",
        "sleep_s = 60.0  # how long the notebook works",
        """
        import os, pathlib, time
        out = pathlib.Path(os.environ["REPRO_ARTIFACT_DIR"])
        (out / "partial.csv").write_text("x\\n")  # half of the work is on disk
        time.sleep(sleep_s)
        (out / "t.csv").write_text("x\\n1\\n")
        """,
    )
    (root / "profiles").mkdir()
    (root / "profiles" / "resume.yaml").write_text(
        textwrap.dedent(
            """
            name: resume
            notebooks:
              demo/first: {}
              demo/slow: {}
              demo/last: {}
            """
        )
    )
    return root


def _cli(root: Path, build: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "REPRO_ROOT": str(root), "REPRO_BUILD_DIR": str(build)}
    cmd = [sys.executable, "-m", "repro.pipeline.cli", "run", "--profile", "resume", *args]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs
    )


def test_killed_build_resumes_with_only_the_remaining_work(resume_project: Path, tmp_path: Path):
    build = tmp_path / "build"
    layout = Layout(build / "resume")
    proc = _cli(resume_project, build, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = layout.status_file
        done = json.loads(status.read_text())["notebooks"] if status.exists() else {}
        if "demo/first" in done and (layout.staging("demo/slow") / "partial.csv").exists():
            break
        time.sleep(0.2)
        if proc.poll() is not None:
            pytest.fail(f"repro run ended early:\n{proc.stdout.read()}")
    else:
        proc.kill()
        pytest.fail(f"the slow notebook never started:\n{proc.stdout.read()}")
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group, as a user's Ctrl-\\ or OOM
    proc.wait(timeout=30)

    # Nothing of the interrupted notebook is where the book would look.
    assert layout.read_status().keys() == {"demo/first"}
    assert not layout.artifacts("demo/slow").exists()
    assert not layout.executed("demo/slow").exists()
    assert layout.artifacts("demo/first").joinpath("t.csv").read_text() == "x\n1\n"

    rerun = _cli(resume_project, build, "-p", "demo/slow:sleep_s=0")
    out, _ = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, out
    rows = [line.split() for line in out.splitlines()]
    statuses = {r[0]: r[1] for r in rows if len(r) > 1 and r[0].startswith("demo/")}
    assert statuses == {"demo/first": "cached", "demo/slow": "ok", "demo/last": "ok"}
    published = sorted(p.name for p in layout.artifacts("demo/slow").iterdir())
    assert published == ["partial.csv", "t.csv"]
