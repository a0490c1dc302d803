"""The smoke book: every notebook page is a report, and renders in a real browser.

The HTML checks (no machine paths, captioned figures, clean headings, a verdicts column
on the status page) read the built files. The browser checks use Debian's Chromium
(``/usr/bin/chromium``, installed by ``.ci/run``) driven by Playwright; no browser is
downloaded. Screenshots of every page are saved to ``build/smoke/screenshots/`` as
test artifacts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from repro.core.artifacts import read_artifact_metadata
from repro.core.paths import repo_root
from repro.core.reported import paper_items

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _pages(toc: dict) -> list[str]:
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            pages.append(chapter["file"])
            pages.extend(section["file"] for section in chapter.get("sections", []))
    return pages


@pytest.fixture(scope="module")
def smoke_html() -> Path:
    """Build (or reuse, through the cache) the smoke book; its HTML folder."""
    proc = subprocess.run(
        [sys.executable, "-m", "repro.pipeline.cli", "build", "--profile", "smoke"],
        capture_output=True, text=True, timeout=900, cwd=repo_root(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "IPKernelApp" not in proc.stderr, "kernel transport warnings in the terminal"
    return repo_root() / "book" / "_build" / "html"


@pytest.fixture(scope="module")
def smoke_book(smoke_html: Path) -> Path:
    """The smoke book, when a browser is there to open it."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (`.ci/run` installs it)")
    pytest.importorskip("playwright")
    return smoke_html


def _notebook_pages() -> list[str]:
    src = repo_root() / "build" / "smoke" / "book_src"
    pages = _pages(yaml.safe_load((src / "_toc.yml").read_text()))
    return [name for name in pages if (src / f"{name}.ipynb").is_file()]


def test_every_notebook_page_is_a_report(smoke_html: Path):
    from bs4 import BeautifulSoup

    pages = _notebook_pages()
    assert pages, "no notebook page in the smoke book"
    for name in pages:
        text = (smoke_html / f"{name}.html").read_text(encoding="utf-8")
        assert "PosixPath(" not in text, f"{name}: a path repr is shown on the page"
        article = BeautifulSoup(text, "html.parser").find("article")
        for heading in article.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
            assert "\\n" not in heading.get_text(), f"{name}: literal \\n in {heading.get_text()!r}"
        for img in article.find_all("img"):
            figure = img.find_parent("figure")
            assert figure is not None, f"{name}: an image outside a <figure>"
            caption = figure.find("figcaption")
            assert caption and caption.get_text(strip=True), f"{name}: a figure without caption"
        for cell in article.select("div.cell.tag_parameters, div.cell.tag_injected-parameters"):
            assert "tag_hide-input" in cell["class"] or "tag_remove-input" in cell["class"], (
                f"{name}: parameters cell not collapsed"
            )
    status = BeautifulSoup((smoke_html / "status.html").read_text(encoding="utf-8"), "html.parser")
    headers = [th.get_text(strip=True) for th in status.find("article").find_all("th")]
    assert "verdicts" in headers, "the status page has no verdicts column"


def test_every_page_renders_with_its_tables_and_figures(smoke_book: Path):
    from playwright.sync_api import sync_playwright

    root = repo_root()
    src = root / "build" / "smoke" / "book_src"
    pages = _pages(yaml.safe_load((src / "_toc.yml").read_text()))
    metas = read_artifact_metadata(root / "build" / "smoke" / "artifacts")
    shots = root / "build" / "smoke" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    report = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        for name in pages:
            page.goto((smoke_book / f"{name}.html").as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0])"
            )
            broken = [src for src, ok in images if not ok]
            assert not broken, f"{name}: broken images {broken}"
            assert page.locator("article h1").count() >= 1, f"{name}: no title"
            assert page.locator(".admonition.error").count() == 0, f"{name}: failure page"
            mine = [m for m in metas if m["notebook"] == name]
            figures = sum(m["kind"] == "figure" for m in mine)
            tables = sum(m["kind"] == "table" for m in mine)
            assert len(images) >= figures, f"{name}: {figures} figures saved, {len(images)} shown"
            if tables:
                assert page.locator("article table").count() >= 1, f"{name}: no table rendered"
            for caption in page.locator("article figure figcaption").all():
                assert caption.is_visible(), f"{name}: a figure caption is hidden"
            for wrap in page.locator("article .repro-table-wrap > div").all():
                overflow = wrap.evaluate("e => getComputedStyle(e).overflowX")
                assert overflow == "auto", f"{name}: a wide table does not scroll ({overflow})"
            report[name] = {"images": len(images), "tables": page.locator("article table").count()}
            page.screenshot(path=str(shots / f"{name.replace('/', '__')}.png"), full_page=True)
        status_text = (smoke_book / "status.html").read_text(encoding="utf-8")
        browser.close()
    for item in paper_items()["item_id"]:
        assert item in status_text, f"status page lacks {item}"
    (shots / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True))
