"""start_run(ID, Config, globals()): validation, coercion and recorded parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from repro.core.config import ConfigError, build_config, start_run


@dataclass(frozen=True)
class Demo:
    seeds: tuple[int, ...] = (0, 1)  # seeds
    lr: float = 0.1  # learning rate
    name: str = "x"  # a name


def test_start_run_reads_namespace_and_records_config(tmp_path) -> None:
    namespace = {"seeds": [3, 4, 5], "lr": 1, "name": "y", "unrelated": object()}
    run, cfg = start_run("demo/nb", Demo, namespace, out_dir=tmp_path)
    assert cfg == Demo(seeds=(3, 4, 5), lr=1.0, name="y")
    assert run.seeds == [3, 4, 5]
    run.finish()
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["parameters"] == {"seeds": [3, 4, 5], "lr": 1.0, "name": "y"}


@pytest.mark.parametrize(
    ("values", "words"),
    [({"lr": "fast"}, "Demo.lr='fast': expected float"), ({"sedes": [1]}, "unknown setting")],
)
def test_bad_values_name_the_field(values, words) -> None:
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace("[", r"\[")):
        build_config(Demo, values)
