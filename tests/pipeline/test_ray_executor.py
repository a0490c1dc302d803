"""The Ray executor on real local clusters: resources, failures and a killed worker.

Skipped only when the optional extra is not installed (CI installs it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

# Keep Ray on loopback: this must be set before ray is imported (ecosystem notes).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray")

from repro.pipeline.layout import Layout  # noqa: E402
from repro.pipeline.ray_executor import RayExecutor  # noqa: E402
from repro.pipeline.runner import run_profile  # noqa: E402

pytestmark = pytest.mark.slow


def _short_tmp() -> str:
    """Ray's sockets live under its temp dir; AF_UNIX paths must stay short."""
    return f"/tmp/rt{uuid.uuid4().hex[:6]}"


@pytest.fixture
def ray_project(mini_project: Path, make_notebook) -> Path:
    """The mini project plus a GPU-reporting notebook and one that kills its worker once."""
    root = mini_project
    write_notebook = make_notebook
    write_notebook(
        root / "notebooks" / "demo" / "gpu.ipynb",
        "tag = 'x'  # unused",
        """
        import os, pathlib
        seen = os.environ.get("CUDA_VISIBLE_DEVICES", "unset")
        pathlib.Path(os.environ["REPRO_ARTIFACT_DIR"], "gpu.txt").write_text(seen)
        """,
    )
    marker = root / "crashed-once"
    write_notebook(
        root / "notebooks" / "demo" / "crash_once.ipynb",
        f"marker = {str(marker)!r}  # file that records the first attempt",
        """
        import os, pathlib, signal
        if not pathlib.Path(marker).exists():
            pathlib.Path(marker).write_text("killed")
            os.kill(os.getppid(), signal.SIGKILL)  # the kernel's parent is the worker
        pathlib.Path(os.environ["REPRO_ARTIFACT_DIR"], "ok.txt").write_text("survived")
        """,
    )
    write_notebook(
        root / "notebooks" / "demo" / "boom.ipynb",
        "x = 1  # unused",
        "raise ValueError('boom on purpose')",
    )
    (root / "profiles" / "raycli.yaml").write_text(
        textwrap.dedent(
            """
            name: raycli
            notebooks:
              demo/gpu: {resources: {cpus: 1, gpus: 1}}
              demo/boom: {}
              demo/crash_once: {}
            """
        )
    )
    (root / "profiles" / "ray.yaml").write_text(
        textwrap.dedent(
            """
            name: ray
            defaults:
              resources: {cpus: 1, gpus: 0}
            notebooks:
              demo/alpha: {parameters: {n: 4}}
              demo/beta: {parameters: {fail: true}}
              demo/gpu: {resources: {cpus: 1, gpus: 1}}
              demo/crash_once: {}
            """
        )
    )
    return root


def _run(root: Path, executor) -> dict[str, str]:
    outcomes = run_profile(
        str(root / "profiles" / "ray.yaml"),
        layout=Layout(root / "build" / "ray"),
        root=root,
        kernel_env={"PYTHONPATH": str(root / "lib")},
        executor=executor,
    )
    return {o.notebook_id: o.status for o in outcomes}


@pytest.fixture
def fresh_ray():
    if ray.is_initialized():
        ray.shutdown()
    yield
    ray.shutdown()


def test_in_process_cluster(ray_project: Path, fresh_ray, monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    executor = RayExecutor(
        max_retries=2, init_kwargs={"num_cpus": 2, "num_gpus": 2, "_temp_dir": _short_tmp()}
    )
    statuses = _run(ray_project, executor)
    assert statuses == {
        "demo/alpha": "ok",
        "demo/beta": "failed",  # a notebook error is a result, not an exception
        "demo/gpu": "ok",
        "demo/crash_once": "ok",  # the killed worker's job was retried
    }
    layout = Layout(ray_project / "build" / "ray")
    assert layout.artifacts("demo/gpu").joinpath("gpu.txt").read_text() in {"0", "1"}
    assert layout.artifacts("demo/alpha").joinpath("alpha.csv").read_text() == "n,value\n4,0.5\n"
    assert (ray_project / "crashed-once").is_file()
    assert layout.executed("demo/beta").is_file()
    assert "beta failed on purpose" in layout.read_status()["demo/beta"]["error"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cli_on_a_separate_head_process(ray_project: Path, tmp_path: Path):
    """`repro run --executor ray --address` against `ray start --head --block` on loopback."""
    port = _free_port()
    env = {
        **os.environ,
        "RAY_AUTH_MODE": "disabled",  # the same for the cluster and the driver
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "REPRO_ROOT": str(ray_project),
        "REPRO_BUILD_DIR": str(tmp_path / "build"),
    }
    ray_bin = Path(sys.executable).with_name("ray")
    head = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--block", f"--port={port}",
         "--node-ip-address=127.0.0.1", "--num-cpus=2", "--num-gpus=1",
         "--include-dashboard=false", f"--temp-dir={_short_tmp()}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:
            pytest.fail("ray head did not start within 60 s")
        proc = subprocess.run(
            [sys.executable, "-m", "repro.pipeline.cli", "run", "--profile", "raycli",
             "--executor", "ray", "--address", f"127.0.0.1:{port}"],
            env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    finally:
        head.send_signal(signal.SIGTERM)  # stop only our own head, never `ray stop`
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            head.kill()
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one notebook fails on purpose
    rows = [line.split() for line in proc.stdout.splitlines()]
    lines = {row[0]: row[1] for row in rows if len(row) > 1 and row[0].startswith("demo/")}
    assert lines == {"demo/gpu": "ok", "demo/boom": "failed", "demo/crash_once": "ok"}
    layout = Layout(tmp_path / "build" / "raycli")
    assert layout.artifacts("demo/gpu").joinpath("gpu.txt").read_text() == "0"
