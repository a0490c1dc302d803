"""An executed notebook turned into a report page at book assembly.

The executed copy keeps everything papermill recorded; the page shows what a reader
needs. Two fixes are made here, once, rather than trusted to every notebook:

* the parameters cell and papermill's injected-parameters cell are collapsed
  (``hide-input``): the values are one click away, the plumbing is not in the way;
* stray outputs are dropped: the text repr of a value a plumbing call returned as the
  last expression of a cell (``PosixPath('/…/build/…')``, ``<Figure size …>``,
  ``<… object at 0x…>``), which is noise on a page and leaks the machine's paths.

Cells are never removed here: a hidden cell may hold ``glue`` outputs the prose pastes.
"""

from __future__ import annotations

import re
from typing import Any

PARAMETER_TAGS = ("parameters", "injected-parameters")
HIDING_TAGS = ("hide-input", "remove-input", "hide-cell", "remove-cell")
#: Text reprs that are never a result: paths, figures/artists, default object reprs.
STRAY_REPR = re.compile(
    r"^\s*(?:\[?<matplotlib\.|<Figure size |<Axes|Text\(|(?:Posix|Windows)?Path\(|None$|"
    r"<[\w.]+ object at 0x[0-9a-fA-F]+>)"
)


def is_stray(output: dict[str, Any]) -> bool:
    """A result or display with only a plain-text repr that is plumbing, not a result."""
    if output.get("output_type") not in ("execute_result", "display_data"):
        return False
    data = output.get("data", {})
    if set(data) - {"text/plain"}:
        return False
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else str(text)
    return bool(STRAY_REPR.match(text))


def as_report(nb: Any, banner: str | None = None) -> Any:
    """Collapse parameter cells and drop stray outputs, in place; returns ``nb``.

    ``banner`` (Markdown) is put right after the title cell: e.g. the rehearsal warning.
    """
    if banner:
        import nbformat

        first = nb.cells[0] if nb.cells else None
        at = 1 if first is not None and first.cell_type == "markdown" else 0
        nb.cells.insert(at, nbformat.v4.new_markdown_cell(banner))
    for cell in nb.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "code":
            if any(t in tags for t in PARAMETER_TAGS):
                cell.outputs = []
                if not any(t in tags for t in HIDING_TAGS):
                    cell.metadata["tags"] = [*tags, "hide-input"]
            cell.outputs = [o for o in cell.get("outputs", []) if not is_stray(o)]
    return nb
