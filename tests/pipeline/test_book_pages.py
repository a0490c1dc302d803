"""Book assembly: chapters from book/chapters.yml, executed notebooks made into report pages."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from repro.core.paths import repo_root
from repro.core.reported import paper_items
from repro.pipeline.chapters import CHAPTERS_FILE, ChaptersError, load_chapters
from repro.pipeline.pages import as_report, is_stray


def _result(text: str, **data: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "execute_result", data={"text/plain": text, **data}, execution_count=1
    )


def test_parameter_cells_collapse_and_stray_reprs_go():
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("seeds = [0]", metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell("seeds = [1]", metadata={"tags": ["injected-parameters"]})
    hidden = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters", "remove-input"]})
    body = nbformat.v4.new_code_cell("run.show_table(df)", metadata={"tags": ["remove-input"]})
    body.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<table/>", "text/plain": "t"}),
        _result("PosixPath('/home/me/build/smoke/staging/t.csv')"),
        _result("<Figure size 640x480 with 1 Axes>"),
        _result("<repro.core.artifacts.Run object at 0x7f00deadbeef>"),
        nbformat.v4.new_output(
            "display_data", data={"text/plain": "<Figure size 9x9 with 0 Axes>"}
        ),
    ]
    table = nbformat.v4.new_code_cell("df")
    table.outputs = [_result("   a\n0  1", **{"text/html": "<table/>"}), _result("42")]
    nb.cells = [params, injected, hidden, body, table]
    as_report(nb)
    assert params.metadata["tags"] == ["parameters", "hide-input"]
    assert injected.metadata["tags"] == ["injected-parameters", "hide-input"]
    assert hidden.metadata["tags"] == ["parameters", "remove-input"]
    assert [o.output_type for o in body.outputs] == ["display_data"]
    assert len(table.outputs) == 2  # a dataframe and a number are results, kept
    assert not is_stray(nbformat.v4.new_output("stream", name="stdout", text="PosixPath("))


def test_the_repository_chapters_match_notebooks_and_paper_items():
    root = repo_root()
    chapters = load_chapters(root / CHAPTERS_FILE)
    assert {c.id for c in chapters} == {
        p.name for p in (root / "notebooks").iterdir() if p.is_dir()
    }
    assert {c.paper for c in chapters} == set(paper_items()["paper"])
    for chapter in chapters:
        assert (root / "book" / chapter.id / "index.md").is_file()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chapters: [unclosed", "malformed YAML"),
        ("chapters: []", "expected a non-empty list under 'chapters'"),
        ("chapters:\n  - {id: a, paper: A}", "chapter 1: field 'title' must be a non-empty text"),
        ("chapters:\n  - {id: a, paper: A, title: T, x: 1}", "chapter 1: unknown field 'x'"),
        (
            "chapters:\n  - {id: a, paper: A, title: T}\n  - {id: a, paper: B, title: U}",
            "chapter id 'a' is listed twice",
        ),
    ],
)
def test_bad_chapters_file_is_one_line(tmp_path, text, message):
    path = tmp_path / "chapters.yml"
    path.write_text(text)
    with pytest.raises(ChaptersError, match=message) as info:
        load_chapters(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_assembly_orders_chapters_from_data(mini_project: Path):
    from repro.pipeline.book import assemble
    from repro.pipeline.layout import Layout
    from repro.pipeline.profiles import load_profile

    root = mini_project
    (root / "notebooks" / "other").mkdir()
    (root / "book").mkdir()
    (root / "book" / "intro.md").write_text("# Intro\n")
    (root / CHAPTERS_FILE).write_text(
        yaml.safe_dump({"chapters": [{"id": "demo", "paper": "Demo", "title": "A demo paper"}]})
    )
    layout = Layout(root / "build" / "test")
    src = assemble(load_profile(str(root / "profiles" / "test.yaml")), layout, root)
    toc = yaml.safe_load((src / "_toc.yml").read_text())
    chapters = toc["parts"][0]["chapters"]
    assert [c["file"] for c in chapters] == ["demo/index"]
    assert [s["file"] for s in chapters[0]["sections"]] == ["demo/alpha", "demo/beta"]
    assert (src / "demo" / "index.md").read_text().startswith("# A demo paper\n")
    assert not (src / CHAPTERS_FILE.name).exists()


def test_rehearsal_banner_follows_the_title():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")]
    as_report(nb, "```{warning}\nrehearsal\n```")
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown", "code"]
    assert nb.cells[1].source.startswith("```{warning}")
