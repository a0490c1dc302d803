"""What a book page shows: captioned, numbered tables and figures, glued values.

A page is a report, not a transcript: every results table and figure is numbered with its
caption on the page, wide tables scroll inside their own box, and the prose takes its
numbers from ``glue`` (myst-nb), never from an author's memory of a run. The same HTML is
what JupyterLab shows when a user runs the notebook.

In the markdown of a notebook, glued values are pasted with ``{glue:md}`key``` (text and
verdict sentences) or ``{glue:text}`key:.1f``` (numbers).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import pandas as pd

TABLE_STYLE = "overflow-x:auto;max-width:100%"


def _inline_markdown(text: str) -> str:
    """Inline Markdown (emphasis, code) of a caption as HTML."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").renderInline(text)


def table_html(df: pd.DataFrame, number: int, caption: str, decimals: int | None = None) -> str:
    """``df`` as an HTML table in a scrolling box, under "Table n. caption"."""
    shown = df.round(decimals) if decimals is not None else df
    body = shown.to_html(index=False, border=0, classes="repro-table", na_rep="–")
    return (
        f'<div class="repro-table-wrap">\n<p class="repro-caption"><strong>Table {number}.'
        f"</strong> {_inline_markdown(caption)}</p>\n"
        f'<div style="{TABLE_STYLE}">\n{body}\n</div>\n</div>'
    )


def figure_html(fig: Any, number: int, caption: str) -> str:
    """``fig`` as an embedded PNG inside ``<figure>`` with "Figure n. caption"."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    alt = html.escape(caption.split(". ")[0], quote=True)
    return (
        f'<figure class="repro-figure" style="margin:1em 0">\n'
        f'<img src="data:image/png;base64,{data}" alt="{alt}" style="max-width:100%"/>\n'
        f"<figcaption><strong>Figure {number}.</strong> {_inline_markdown(caption)}"
        "</figcaption>\n</figure>"
    )


def show_html(text: str) -> None:
    """Display raw HTML as a cell output."""
    from IPython.display import HTML, display

    display(HTML(text))


def show_markdown(text: str) -> None:
    """Display Markdown as a cell output (rendered by the book and by JupyterLab)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def glue(key: str, value: Any) -> None:
    """Glue ``value`` for the prose (strings as Markdown, for ``{glue:md}``), not shown."""
    from IPython.display import Markdown
    from myst_nb import glue as _glue

    _glue(key, Markdown(value) if isinstance(value, str) else value, display=False)
