"""What the terminal shows while a notebook runs: progress lines, no kernel transport noise."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import nbformat
import pytest

from repro.pipeline.progress import NotebookProgress, count_code_cells, format_seconds


def test_format_seconds():
    assert format_seconds(4.4) == "4s"
    assert format_seconds(75) == "1m15s"
    assert format_seconds(3700) == "1h01m"


def test_progress_line_counts_cells_and_shows_the_last_run():
    now = [100.0]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# t"),
        nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_code_cell("   "),
        nbformat.v4.new_code_cell("b = 2"),
    ]
    assert count_code_cells(nb) == 2
    progress = NotebookProgress("p/nb", "off", expected_s=130, clock=lambda: now[0])
    with progress:
        progress.on_notebook_start(notebook=nb)
        progress.on_cell_execute(cell=nb.cells[1], cell_index=1)
        now[0] += 65
        assert progress.line() == "p/nb: cell 1 of 2, 1m05s elapsed (last run 2m10s)"


def test_tty_mode_erases_its_line():
    stream = io.StringIO()
    with NotebookProgress("p/nb", "tty", stream=stream) as progress:
        progress._emit()
    text = stream.getvalue()
    assert "p/nb: starting the kernel, 0s elapsed" in text
    assert text.endswith("\r\x1b[2K") and "\n" not in text


def test_bad_mode():
    with pytest.raises(ValueError, match="progress mode"):
        NotebookProgress("p/nb", "bar")


@pytest.mark.slow
def test_run_job_logs_progress_runs_in_the_notebook_folder_and_stays_quiet(
    tmp_path, make_notebook, capfd
):
    from repro.pipeline.execute import Job, run_job

    folder = tmp_path / "notebooks" / "demo"
    source = make_notebook(
        folder / "slow.ipynb",
        "pause = 1.5  # seconds",
        """
        import os, pathlib, time
        time.sleep(pause)
        pathlib.Path(os.environ["REPRO_ARTIFACT_DIR"], "cwd.txt").write_text(os.getcwd())
        """,
    )
    job = Job(
        "demo/slow", source, tmp_path / "out.ipynb", tmp_path / "staging", {}, "test", folder,
        progress="log", progress_every_s=0.5, expected_s=90.0,
    )  # fmt: skip
    before = set(Path(tempfile.gettempdir()).glob("repro-kernel-*"))
    result = run_job(job)
    assert set(Path(tempfile.gettempdir()).glob("repro-kernel-*")) <= before  # sockets removed
    assert result.status == "ok", result.error
    err = capfd.readouterr().err
    assert re.search(r"repro: demo/slow: cell 2 of 2, \d+s elapsed \(last run 1m30s\)\n", err)
    assert "without encryption" not in err and "IPKernelApp" not in err
    assert (tmp_path / "staging" / "cwd.txt").read_text() == str(folder)
