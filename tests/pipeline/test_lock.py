"""One writer per build folder: the lock, robust publishing, and two real concurrent runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from repro.core.paths import repo_root
from repro.pipeline.layout import BuildFolderError, Layout
from repro.pipeline.lock import FolderBusyError, folder_lock, lock_paths

HOLD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from repro.pipeline.lock import folder_lock
    with folder_lock(Path(sys.argv[1]), command="repro hold"):
        Path(sys.argv[2]).write_text("held")
        if sys.argv[3] == "crash":
            os._exit(9)  # no cleanup at all, as a killed process
        time.sleep(float(sys.argv[3]))
        Path(sys.argv[2] + ".done").write_text("done")
    """
)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(repo_root() / "lib"), **extra}


def _hold(folder: Path, tmp_path: Path, how: str) -> subprocess.Popen:
    flag = tmp_path / f"held-{how}"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), str(flag), how], env=_env())
    for _ in range(200):
        if flag.exists():
            return proc
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the holder never took the lock")


def test_second_holder_is_refused_with_who_holds_it(tmp_path: Path):
    folder = tmp_path / "build" / "smoke"
    holder = _hold(folder, tmp_path, "3")
    try:
        with pytest.raises(FolderBusyError) as info, folder_lock(folder, wait=False):
            pass
        message = str(info.value)
        assert f"pid {holder.pid}" in message and "`repro hold`" in message
        assert "since" in message and "\n" not in message
    finally:
        holder.wait(10)
    with folder_lock(folder, wait=False):  # released when the holder ended
        assert json.loads(lock_paths(folder)[1].read_text())["pid"] == os.getpid()
    assert not lock_paths(folder)[1].exists()


def test_crashed_holder_leaves_no_stale_lock(tmp_path: Path):
    folder = tmp_path / "build" / "smoke"
    holder = _hold(folder, tmp_path, "crash")
    assert holder.wait(10) == 9
    with folder_lock(folder, wait=False):
        pass


def test_waiting_holder_says_who_it_waits_for(tmp_path: Path, caplog):
    folder = tmp_path / "build" / "smoke"
    holder = _hold(folder, tmp_path, "1")
    with caplog.at_level("WARNING", logger="repro"), folder_lock(folder):
        assert (tmp_path / "held-1.done").exists()  # we got it only after the holder finished
    holder.wait(10)
    assert f"in use by pid {holder.pid}" in caplog.text and "waiting" in caplog.text


def _stage(layout: Layout, nb: str, name: str) -> None:
    layout.staging(nb).mkdir(parents=True)
    layout.staging(nb).joinpath(name).write_text(name)


def test_publish_replaces_and_recover_repairs(tmp_path: Path):
    layout = Layout(tmp_path / "smoke")
    nb = "demo/alpha"
    _stage(layout, nb, "one.csv")
    layout.publish(nb)
    _stage(layout, nb, "two.csv")
    layout.publish(nb)
    assert [p.name for p in layout.artifacts(nb).iterdir()] == ["two.csv"]
    assert [p.name for p in layout.artifacts("demo").iterdir()] == ["alpha"]  # no leftovers

    # A staged folder removed by someone else: an error, and the published one stays.
    with pytest.raises(BuildFolderError, match="vanished"):
        layout.publish(nb)
    assert layout.artifacts(nb).joinpath("two.csv").is_file()

    # Killed between the two renames: the set-aside folder comes back on the next start.
    os.replace(layout.artifacts(nb), layout.artifacts("demo") / ".alpha.old-123")
    assert layout.recover() == [nb]
    assert layout.artifacts(nb).joinpath("two.csv").is_file()
    # Killed after the second rename: the outdated copy is removed.
    (layout.artifacts("demo") / ".alpha.old-456").mkdir()
    assert layout.recover() == []
    assert [p.name for p in layout.artifacts("demo").iterdir()] == ["alpha"]


@pytest.mark.slow
def test_two_concurrent_runs_keep_the_artifacts(tmp_path: Path):
    """Two real ``repro run`` processes on one build folder (the bug of issue 10)."""
    build = tmp_path / "build"
    env = _env(REPRO_BUILD_DIR=str(build))
    cmd = [sys.executable, "-m", "repro.pipeline.cli", "run", "--profile", "smoke"]
    cmd += ["--only", "nash/reported_claims", "--force"]

    def start(*extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*cmd, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    first = start()
    info = lock_paths(build / "smoke")[1]
    for _ in range(600):
        if info.exists() or first.poll() is not None:
            break
        time.sleep(0.05)
    refused = start("--no-wait")
    waiting = start()
    results = {}
    for name, proc in (("first", first), ("refused", refused), ("waiting", waiting)):
        out, err = proc.communicate(timeout=300)
        results[name] = (proc.returncode, out, err)
    for _code, out, err in results.values():
        assert "Traceback" not in out + err
    assert results["first"][0] == 0 and results["waiting"][0] == 0
    code, _, err = results["refused"]
    assert code == 2
    assert [line for line in err.splitlines() if "error" in line] == [err.strip()]
    assert f"in use by pid {first.pid}" in err
    assert f"in use by pid {first.pid}" in results["waiting"][2]

    layout = Layout(build / "smoke")
    status = json.loads(layout.status_file.read_text())["notebooks"]["nash/reported_claims"]
    assert status["status"] == "ok"
    assert any(layout.artifacts("nash/reported_claims").glob("*.csv"))
    assert not list(layout.artifacts("nash").glob(".*"))  # no set-aside leftovers
