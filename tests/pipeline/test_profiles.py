"""The committed profiles: well formed, complete, and valid for every notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from repro.core.paths import repo_root
from repro.pipeline.profiles import ProfileError, available_profiles, load_profile
from repro.pipeline.runner import resolve_parameters, select

ROOT = repo_root()
NOTEBOOKS = sorted(
    str(p.relative_to(ROOT / "notebooks").with_suffix(""))
    for p in (ROOT / "notebooks").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


def test_the_three_profiles_exist():
    assert {"smoke", "local", "paper"} <= set(available_profiles())


@pytest.mark.parametrize("name", ["smoke", "local", "paper"])
def test_profile_lists_every_notebook_with_valid_parameters(name):
    profile = load_profile(name)
    assert sorted(profile.notebooks) == NOTEBOOKS
    resolve_parameters(select(profile), [], ROOT)  # raises on a bad name or type
    for spec in profile.notebooks.values():
        for rel in spec.inputs:
            assert (ROOT / rel).is_file(), f"{name}: {spec.notebook_id} input {rel} missing"


@pytest.mark.parametrize("nb_id", NOTEBOOKS)
def test_committed_notebooks_are_clean_and_thin(nb_id):
    nb = nbformat.read(ROOT / "notebooks" / f"{nb_id}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(c.get("outputs") for c in code), "commit notebooks without outputs"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    for cell in code:
        lines = cell.source.splitlines()
        assert not any(ln.lstrip().startswith(("def ", "class ")) for ln in lines), (
            "no function or class definitions in notebooks: they belong in lib/"
        )
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


def test_malformed_yaml_names_file_and_line(tmp_path: Path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\nnotebooks:\n  demo/a: {parameters: [1, 2\n")
    with pytest.raises(ProfileError, match=r"broken\.yaml: malformed YAML at line \d+"):
        load_profile(str(bad))


def test_unknown_field_and_unknown_profile(tmp_path: Path):
    bad = tmp_path / "odd.yaml"
    bad.write_text("name: x\nnotebooks:\n  demo/a: {parameter: {}}\n")
    expected = r"notebooks\.demo/a: unknown field\(s\) \['parameter'\]"
    with pytest.raises(ProfileError, match=expected):
        load_profile(str(bad))
    with pytest.raises(ProfileError, match="unknown profile 'nosuch'"):
        load_profile("nosuch")
