"""Parameter validation against a notebook's parameters cell, before anything runs."""

from __future__ import annotations

import pytest

from repro.pipeline.params import (
    ParameterError,
    declared_parameters,
    parse_override,
    validate_parameters,
)
from repro.pipeline.profiles import load_profile
from repro.pipeline.runner import resolve_parameters, select


def test_declared_parameters_are_python_literals(mini_project):
    nb = mini_project / "notebooks" / "demo" / "alpha.ipynb"
    assert declared_parameters(nb) == {"n": 3, "scale": 0.5, "name": "x"}


def test_misspelled_parameter_names_notebook_and_suggests(mini_project):
    nb = mini_project / "notebooks" / "demo" / "alpha.ipynb"
    with pytest.raises(ParameterError) as err:
        validate_parameters("demo/alpha", nb, {"scal": 0.1})
    message = str(err.value)
    assert "demo/alpha" in message and "'scal'" in message and "did you mean 'scale'" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [("n", "three"), ("n", 2.5), ("n", True), ("scale", "0.1"), ("name", 3)],
)
def test_wrong_type_is_an_error(mini_project, name, value):
    nb = mini_project / "notebooks" / "demo" / "alpha.ipynb"
    with pytest.raises(ParameterError, match=f"demo/alpha.*'{name}' expects"):
        validate_parameters("demo/alpha", nb, {name: value})


def test_int_is_accepted_for_float(mini_project):
    nb = mini_project / "notebooks" / "demo" / "alpha.ipynb"
    validate_parameters("demo/alpha", nb, {"scale": 2, "n": 7, "name": "y"})


def test_parse_override_reads_yaml_values():
    assert parse_override("lr=0.1") == (None, "lr", 0.1)
    assert parse_override("seeds=[1, 2]") == (None, "seeds", [1, 2])
    assert parse_override("demo/*:name=abc") == ("demo/*", "name", "abc")
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_override("lr")


def test_overrides_apply_to_declaring_notebooks_only(mini_project):
    profile = load_profile(str(mini_project / "profiles" / "test.yaml"))
    specs = select(profile)
    resolved = resolve_parameters(specs, ["scale=2.0", "demo/beta:fail=true"], mini_project)
    assert resolved["demo/alpha"] == {"n": 4, "scale": 2.0}
    assert resolved["demo/beta"] == {"fail": True}
    with pytest.raises(ParameterError, match="no selected notebook declares parameter 'nope'"):
        resolve_parameters(specs, ["nope=1"], mini_project)


def test_profile_with_misspelled_parameter_fails_before_running(mini_project, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nnotebooks:\n  demo/alpha:\n    parameters: {nn: 1}\n")
    profile = load_profile(str(bad))
    with pytest.raises(ParameterError, match=r"demo/alpha.*unknown parameter 'nn'"):
        resolve_parameters(select(profile), [], mini_project)


def test_a_line_papermill_cannot_parse_is_reported(tmp_path, make_notebook):
    nb = make_notebook(tmp_path / "odd.ipynb", "a = 1  # count, a = b\nb = 2  # ok", "print(a)")
    with pytest.raises(ParameterError, match=r"cannot parse the parameters-cell line\(s\)"):
        declared_parameters(nb)
