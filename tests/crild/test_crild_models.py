"""Our BERT encoder against transformers.BertModel, loading from HF folders, students."""

import json

import pytest
import torch
from transformers import BertConfig, BertModel

from repro.crild.models import build_model, load_encoder_state, minilm_folder, read_shape

TINY = dict(
    vocab_size=60,
    hidden_size=16,
    num_hidden_layers=4,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=32,
)


@pytest.fixture
def tiny_bert_dir(tmp_path):
    """A tiny random BERT saved in the Hugging Face layout (config.json + safetensors)."""
    torch.manual_seed(0)
    model = BertModel(BertConfig(**TINY)).eval()
    model.save_pretrained(tmp_path / "bert")
    return tmp_path / "bert", model


def test_forward_matches_transformers(tiny_bert_dir):
    folder, hf = tiny_bert_dir
    ours = build_model(folder, num_labels=2).eval()
    ids = torch.tensor([[2, 5, 7, 9, 3, 0], [2, 11, 3, 0, 0, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        ref = hf(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        out = ours(ids, mask)
    assert len(out.hidden) == 5 and len(out.scores) == 4
    for a, b in zip(ref.hidden_states, out.hidden, strict=True):
        assert torch.allclose(a[mask.bool()], b[mask.bool()], atol=1e-5)
    assert torch.allclose(ref.pooler_output, ours.bert.pooled(out.hidden[-1]), atol=1e-5)


def test_student_takes_bottom_layers_and_fit_dense(tiny_bert_dir):
    folder, hf = tiny_bert_dir
    student = build_model(folder, 3, num_layers=2, is_student=True, teacher_hidden=16)
    assert len(student.bert.encoder.layer) == 2
    w_ref = hf.encoder.layer[1].attention.self.query.weight
    assert torch.equal(student.bert.encoder.layer[1].attention.self.query.weight, w_ref)
    out = student(torch.tensor([[2, 5, 3]]), torch.ones(1, 3, dtype=torch.long))
    assert out.logits.shape == (1, 3) and out.hidden[0].shape == (1, 3, 16)
    with pytest.raises(ValueError, match="num_layers=9"):
        build_model(folder, 2, num_layers=9)


def test_pytorch_bin_with_bert_prefix(tmp_path, tiny_bert_dir):
    folder, hf = tiny_bert_dir
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "config.json").write_text((folder / "config.json").read_text())
    state = {f"bert.{k}": v for k, v in hf.state_dict().items()}
    state["cls.predictions.bias"] = torch.zeros(3)
    torch.save(state, legacy / "pytorch_model.bin")
    assert "cls.predictions.bias" not in load_encoder_state(legacy)
    m = build_model(legacy, 2)
    assert torch.equal(
        m.bert.embeddings.word_embeddings.weight, hf.embeddings.word_embeddings.weight
    )


def test_bad_folders_name_file_and_field(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(ValueError, match=r"config.json: missing field.*num_hidden_layers"):
        read_shape(tmp_path / "config.json")
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors or pytorch_model\.bin"):
        load_encoder_state(tmp_path)


def test_minilm_folder_is_bundled():
    shape = read_shape(minilm_folder() / "config.json")
    assert (shape.num_layers, shape.hidden_size, shape.num_heads) == (6, 384, 12)


def test_mean_pooling_ignores_padding(tiny_bert_dir):
    folder, _ = tiny_bert_dir
    torch.manual_seed(0)
    model = build_model(folder, 2, pooling="mean").eval()
    ids = torch.tensor([[2, 5, 7, 3]])
    padded = torch.tensor([[2, 5, 7, 3, 0, 0]])
    with torch.no_grad():
        a = model(ids, torch.ones_like(ids)).logits
        b = model(padded, (padded != 0).long()).logits
    assert torch.allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="pooling='max'"):
        build_model(folder, 2, pooling="max")
