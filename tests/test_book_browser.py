"""The smoke book in a real browser: every chapter renders its tables and figures.

Uses Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``) driven by
Playwright; no browser is downloaded. Screenshots of every page are saved to
``build/smoke/screenshots/`` as test artifacts.
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
def smoke_book() -> Path:
    """Build (or reuse, through the cache) the smoke book."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (`.ci/run` installs it)")
    pytest.importorskip("playwright")
    proc = subprocess.run(
        [sys.executable, "-m", "repro.pipeline.cli", "build", "--profile", "smoke"],
        capture_output=True, text=True, timeout=900, cwd=repo_root(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return repo_root() / "book" / "_build" / "html"


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
            report[name] = {"images": len(images), "tables": page.locator("article table").count()}
            page.screenshot(path=str(shots / f"{name.replace('/', '__')}.png"), full_page=True)
        status_text = (smoke_book / "status.html").read_text(encoding="utf-8")
        browser.close()
    for item in paper_items()["item_id"]:
        assert item in status_text, f"status page lacks {item}"
    (shots / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True))
