"""NASH pages are reports: tagged plumbing, glued results, no typed verdicts."""

import re

import nbformat
import pytest

from repro.core.paths import repo_root
from repro.nash import claims
from repro.nash.ablation import ABLATION_CLAIMS
from repro.nash.sweep import SWEEP_CLAIMS

PAGES = ["latency_anatomy", "accounting", "pruning_synthetic", "reported_claims"]
TYPED_VERDICTS = re.compile(
    r"\b(it reproduces|reproduces\b|smaller than the|about the same|is contradicted)", re.I
)
CLAIM_KEYS = {
    c.key
    for c in claims.LATENCY_CLAIMS
    + claims.PRUNING_CLAIMS
    + claims.ACCOUNTING_CLAIMS
    + SWEEP_CLAIMS
    + ABLATION_CLAIMS
}


def _nb(name):
    return nbformat.read(repo_root() / "notebooks" / "nash" / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", PAGES)
def test_cells_are_tagged(name):
    code = [c for c in _nb(name).cells if c.cell_type == "code"]
    assert set(code[0].metadata["tags"]) >= {"parameters"}
    for cell in code[1:]:
        assert "remove-input" in cell.metadata.get("tags", []), cell.source[:60]
        assert "display(" not in cell.source and "print(" not in cell.source


@pytest.mark.parametrize("name", PAGES)
def test_no_typed_verdicts_and_every_glue_key_is_glued(name):
    nb = _nb(name)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    glued = set(re.findall(r"glue\(\s*\"(\w+)\"", code))
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        assert not TYPED_VERDICTS.search(cell.source), cell.source[:80]
        for key in re.findall(r"\{glue:\w+\}`([\w]+)", cell.source):
            base = re.sub(r"_(sentence|verdict|estimate)$", "", key)
            assert key in glued or base in CLAIM_KEYS, key
