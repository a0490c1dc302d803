"""JupyterLab as a used-by path: a reader opens a notebook, runs every cell, sees the tables.

A notebook must behave the same under papermill (``repro run``) and in JupyterLab, whose
kernel starts in the notebook's own folder and has no ``REPRO_ARTIFACT_DIR``: its
artifacts then go to ``build/interactive/<notebook id>/``. The first test checks that
with papermill (cheap); the second starts ``jupyter lab`` on 127.0.0.1 with a token and a
free port and drives it with Debian's Chromium through Playwright (no browser is
downloaded; ``.ci/run`` installs ``chromium``). Both point ``REPRO_BUILD_DIR`` at a
temporary folder, so the repository's build folder is left alone.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from repro.core.paths import BUILD_ENV, repo_root

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
#: Notebooks opened by the tests; both are cheap (reported numbers only).
PAPERMILL_NOTEBOOK = "nash/reported_claims"
LAB_NOTEBOOK = "twlv_i/reported_tables"


def _env(build: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPRO_")}
    env[BUILD_ENV] = str(build)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(repo_root() / "lib"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


def test_notebook_runs_in_its_folder_and_writes_to_build_interactive(tmp_path):
    source = repo_root() / "notebooks" / f"{PAPERMILL_NOTEBOOK}.ipynb"
    build = tmp_path / "build"
    executed = tmp_path / "executed.ipynb"
    code = (
        "import sys, papermill; papermill.execute_notebook(sys.argv[1], sys.argv[2], "
        "cwd=sys.argv[3], kernel_name='python3', progress_bar=False)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(source), str(executed), str(source.parent)],
        capture_output=True, text=True, timeout=300, env=_env(build), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = build / "interactive" / PAPERMILL_NOTEBOOK
    assert (out / "run.json").is_file(), f"no run.json in {out}"
    assert sorted(out.glob("*.csv")), f"no table artifacts in {out}"
    errors = [
        o
        for cell in nbformat.read(executed, as_version=4).cells
        for o in cell.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


@pytest.fixture
def lab(tmp_path) -> Iterator[tuple[str, str, Path]]:
    """A JupyterLab server on 127.0.0.1: (base URL, token, build folder)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (`.ci/run` installs it)")
    pytest.importorskip("playwright")
    pytest.importorskip("jupyterlab")
    port, token, build = _free_port(), secrets.token_hex(16), tmp_path / "build"
    env = _env(build)
    env.update(
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),  # kernelspecs still come from sys.prefix
    )
    # No autosave (the committed notebook must keep no outputs), no news pop-up.
    settings = tmp_path / "settings" / "@jupyterlab"
    for plugin, values in [
        ("docmanager-extension/plugin", '{"autosave": false}'),
        ("apputils-extension/notification", '{"fetchNews": "false"}'),
    ]:
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(values)
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={repo_root()}",
        "--ServerApp.allow_root=True",  # CI containers run as root
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
    ]  # fmt: skip
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
        _wait_for(f"{base}/api/status?token={token}", 120)
        yield base, token, build
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_jupyterlab_runs_a_notebook_and_shows_its_table(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    base, token, build = lab
    source = repo_root() / "notebooks" / f"{LAB_NOTEBOOK}.ipynb"
    committed = source.read_bytes()
    url = f"{base}/lab/tree/notebooks/{LAB_NOTEBOOK}.ipynb?token={token}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(url)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                " && window.jupyterapp.shell.currentWidget.sessionContext"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                timeout=120_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            # Done when every code cell has a number in its prompt and none is queued ([*]).
            page.wait_for_function(
                """() => {
                    const prompts = Array.from(document.querySelectorAll(
                        '.jp-CodeCell .jp-InputArea-prompt')).map(p => p.textContent.trim());
                    return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
                }""",
                timeout=240_000,
            )
            outputs = page.locator(".jp-Notebook .jp-OutputArea-output")
            text = "\n".join(outputs.all_inner_texts())
            assert "Traceback" not in text and "Error" not in text.split("\n")[0], text[-2000:]
            tables = page.locator(".jp-Notebook .jp-OutputArea-output table")
            assert tables.count() >= 1, "no table rendered in JupyterLab"
            assert tables.first.is_visible()
            rows = tables.first.locator("tbody tr").count()
            assert rows >= 1, "the table has no rows"
            shots = repo_root() / "build" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "jupyterlab.png"))
        finally:
            browser.close()
    out = build / "interactive" / LAB_NOTEBOOK
    assert sorted(out.glob("*.csv")), f"JupyterLab's kernel wrote no artifacts to {out}"
    assert source.read_bytes() == committed, "JupyterLab saved outputs into the notebook"
