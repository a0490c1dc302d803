"""Progress of one executing notebook: cell n of m, elapsed time, and the last run's time.

A notebook of the paper tier runs for minutes to hours with nothing on the terminal
between "running" and "ok". The worker that executes it reports which code cell runs
and for how long it has been running, together with the wall time of the last
successful run (``status.json``) when there is one:

* ``"tty"``: one line on stderr, rewritten every second, erased when the notebook ends
  (one worker on a terminal);
* ``"log"``: a plain line every ``every_s`` seconds (CI logs, several workers), so short
  notebooks print nothing;
* ``"off"``: nothing.

The hooks are nbclient's ``on_notebook_start`` and ``on_cell_execute``, which papermill
passes through to its notebook client.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

MODES = ("tty", "log", "off")
CLEAR_LINE = "\r\x1b[2K"


def format_seconds(seconds: float) -> str:
    """``75`` -> ``"1m15s"``; ``3700`` -> ``"1h01m"``; under a minute ``"42s"``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def count_code_cells(notebook: Any) -> int:
    """Code cells that will execute (non-empty source), papermill's injected cell included."""
    return sum(1 for c in notebook.cells if c.cell_type == "code" and c.source.strip())


class NotebookProgress:
    """Reports the progress of one notebook; pass :meth:`hooks` to papermill."""

    def __init__(
        self,
        notebook_id: str,
        mode: str = "off",
        every_s: float = 30.0,
        expected_s: float | None = None,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"progress mode must be one of {MODES}, got {mode!r}")
        self.notebook_id = notebook_id
        self.mode = mode
        self.every_s = every_s
        self.expected_s = expected_s
        self.stream = stream or sys.stderr
        self.clock = clock
        self.total = 0
        self.cell = 0
        self.started = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hooks(self) -> dict[str, Callable[..., None]]:
        """Keyword arguments for ``papermill.execute_notebook`` (nbclient hooks)."""
        return {
            "on_notebook_start": self.on_notebook_start,
            "on_cell_execute": self.on_cell_execute,
        }

    def on_notebook_start(self, notebook: Any = None, **_: Any) -> None:
        if notebook is not None:
            self.total = count_code_cells(notebook)

    def on_cell_execute(self, cell: Any = None, cell_index: int = 0, **_: Any) -> None:
        self.cell += 1

    def line(self) -> str:
        """``"nash/x: cell 3 of 12, 1m05s elapsed (last run 2m10s)"``."""
        if self.cell == 0:
            where = "starting the kernel"
        else:
            where = f"cell {self.cell} of {self.total}" if self.total else f"cell {self.cell}"
        text = f"{self.notebook_id}: {where}, {format_seconds(self.clock() - self.started)} elapsed"
        if self.expected_s:
            text += f" (last run {format_seconds(self.expected_s)})"
        return text

    def _emit(self) -> None:
        if self.mode == "tty":
            self.stream.write(CLEAR_LINE + "repro: " + self.line())
        else:
            self.stream.write("repro: " + self.line() + "\n")
        self.stream.flush()

    def _loop(self) -> None:
        interval = 1.0 if self.mode == "tty" else self.every_s
        while not self._stop.wait(interval):
            self._emit()

    def __enter__(self) -> NotebookProgress:
        self.started = self.clock()
        if self.mode != "off":
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.mode == "tty":
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
