"""The ``Config`` of every NASH notebook: one home for each setting.

Each class's fields and defaults are exactly its notebook's parameters cell
(``tests/test_notebook_configs.py`` keeps them equal); profiles hold overrides only.
The defaults are the local (2-core CPU) sizes; the paper recipe lives in
``profiles/paper.yaml``. Library objects are derived from a ``Config`` here, never in
a notebook (:func:`experiment_config`, :func:`generation_setups`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from repro.core.errors import InputError

ARCHS = ("t5-small", "t5-base", "t5-large")
DEVICES = ("auto", "cpu", "cuda")
DATA_SOURCES = ("synthetic", "release")
KEYWORD_RULES = ("topic", "id")  # repro.nash.synthetic.RULES
SELECTIONS = ("unif", "low", "high", "learned")  # repro.nash.methods.SELECTIONS


class NashConfigError(InputError):
    """A NASH notebook parameter is out of range."""


def _check(ok: bool, owner: str, field: str, value: object, expected: str) -> None:
    if not ok:
        raise NashConfigError(f"{owner}.{field}={value!r}: expected {expected}")


def _check_archs(owner: str, field: str, archs: tuple[str, ...]) -> None:
    bad = [a for a in archs if a not in ARCHS]
    _check(not bad, owner, field, archs, f"names from {ARCHS}")


def _check_fractions(owner: str, field: str, values: tuple[float, ...]) -> None:
    _check(all(0.0 <= v < 1.0 for v in values), owner, field, values, "fractions in [0, 1)")


class Method(StrEnum):
    """Compression methods compared by the pruning notebook (defined here, torch-free, so that
    validating a Config and starting the CLI never import torch)."""

    FULL = "full"
    NASH = "nash"
    NASH_NO_DISTILL = "nash_no_distill"
    COFI = "cofi"
    DECODER_ONLY = "decoder_only"
    ENCODER_ONLY = "encoder_only"


@dataclass(frozen=True)
class ReportedClaimsConfig:
    """``nash/reported_claims``: the paper's reported numbers, re-rendered."""

    paper: str = "NASH"  # paper name as in reported/paper_items.csv


@dataclass(frozen=True)
class LatencyConfig:
    """``nash/latency_anatomy``: forced-length ``generate`` time of shortened / narrowed T5."""

    # model shapes and compression grid
    archs: tuple[str, ...] = ("t5-small",)  # shapes timed over the whole grid (random weights)
    decoder_layers: tuple[int, ...] = (0, 3, 1)  # k, decoder blocks kept (uniform); 0: all
    encoder_sparsities: tuple[float, ...] = (0.0, 0.6)  # encoder heads + FFN dims removed per layer
    # generation
    batch_sizes: tuple[int, ...] = (1, 32)  # sequences per generate call
    output_lens: tuple[int, ...] = (20,)  # forced new tokens (release: 20 TweetQA, 150 SAMSum)
    num_beams: tuple[int, ...] = (1,)  # 1: greedy; 4: beam search as for CNN/DM
    input_len: int = 128  # input tokens (the release pads or truncates every input to 128)
    # a second shape, timed at a few configurations
    compare_arch: str = "t5-base"  # "" for none
    compare_decoder_layers: tuple[int, ...] = (0, 3)  # k for compare_arch; 0: full decoder
    compare_encoder_sparsities: tuple[float, ...] = (0.0, 0.3)  # s for compare_arch
    compare_batch_sizes: tuple[int, ...] = (1,)  # batch sizes for compare_arch
    compare_output_lens: tuple[int, ...] = (20,)  # forced output lengths for compare_arch
    # claims
    nash_arch: str = "t5-base"  # shape of the NASH configuration tested against 2.5-4.2x
    nash_decoder_layers: int = 3  # its k (the README example: 3)
    nash_encoder_sparsity: float = 0.3  # its s (the README example: 0.3)
    # the release's metric (summed block times, EOS stopping), on the NASH configuration
    release_batch: int = 1  # sequences per generate call (release: 32)
    release_examples: int = 1  # examples per timing round (release: the validation split)
    release_repeats: int = 5  # timed rounds of the emulation, configurations interleaved
    release_max_length: int = 20  # generate max_length, start token included (release: 20 TweetQA)
    release_min_output: int = 4  # fewest new tokens before the forced EOS (EOS included)
    # timing
    repeats: int = 3  # timed rounds, configurations interleaved; medians reported
    warmup: int = 0  # untimed rounds first (0: the median absorbs the cold first round)
    threads: int = 1  # torch CPU threads (0: leave the default); the 2-core machine is shared
    device: str = "auto"  # "auto" (cuda if available), "cpu" or "cuda"
    seed: int = 0  # weight initialisation and input ids

    def __post_init__(self) -> None:
        name = type(self).__name__
        _check_archs(name, "archs", self.archs)
        _check(bool(self.archs), name, "archs", self.archs, "at least one shape")
        _check(0 in self.decoder_layers, name, "decoder_layers", self.decoder_layers, "to hold 0")
        _check(0.0 in self.encoder_sparsities, name, "encoder_sparsities", (), "to hold 0.0")
        _check_fractions(name, "encoder_sparsities", self.encoder_sparsities)
        _check_fractions(name, "compare_encoder_sparsities", self.compare_encoder_sparsities)
        _check(self.compare_arch in ("", *ARCHS), name, "compare_arch", self.compare_arch, "''")
        _check(self.repeats >= 1, name, "repeats", self.repeats, ">= 1")
        _check(self.warmup >= 0, name, "warmup", self.warmup, ">= 0")
        _check(self.device in DEVICES, name, "device", self.device, f"one of {DEVICES}")
        for field in ("batch_sizes", "output_lens", "num_beams", "input_len"):
            values = getattr(self, field)
            values = values if isinstance(values, tuple) else (values,)
            _check(all(v >= 1 for v in values), name, field, values, "positive integers")
        for field in ("release_batch", "release_examples", "release_repeats", "release_min_output"):
            _check(getattr(self, field) >= 1, name, field, getattr(self, field), ">= 1")
        _check(
            self.release_max_length > self.release_min_output,
            name,
            "release_max_length",
            self.release_max_length,
            f"> release_min_output = {self.release_min_output}",
        )
        grid = self.nash_grid()
        _check(
            grid is not None,
            name,
            "nash_decoder_layers",
            (self.nash_arch, self.nash_decoder_layers, self.nash_encoder_sparsity),
            "a (nash_arch, k, s) that the grid or the compare grid times",
        )

    def nash_grid(self) -> str | None:
        """``"main"`` or ``"compare"``: which grid times the NASH configuration (None: neither)."""
        k, s = self.nash_decoder_layers, self.nash_encoder_sparsity
        if (
            self.nash_arch in self.archs
            and k in self.decoder_layers
            and s in self.encoder_sparsities
        ):
            return "main"
        if (
            self.nash_arch == self.compare_arch
            and k in self.compare_decoder_layers
            and s in self.compare_encoder_sparsities
        ):
            return "compare"
        return None


@dataclass(frozen=True)
class AccountingConfig:
    """``nash/accounting``: exact parameter arithmetic of NASH(s, k)."""

    # model shapes
    archs: tuple[str, ...] = ("t5-small", "t5-base", "t5-large")  # model shapes
    # compression grid
    encoder_sparsities: tuple[float, ...] = (0.0, 0.3, 0.6, 0.9)  # encoder heads + FFN removed
    decoder_layers: tuple[int, ...] = (0, 6, 4, 3, 2, 1)  # k, decoder blocks kept; 0: all
    # checks
    check_with_models: bool = True  # also build each pruned model (meta device) and count it

    def __post_init__(self) -> None:
        name = type(self).__name__
        _check_archs(name, "archs", self.archs)
        _check_fractions(name, "encoder_sparsities", self.encoder_sparsities)
        _check(all(k >= 0 for k in self.decoder_layers), name, "decoder_layers", (), ">= 0")


@dataclass(frozen=True)
class PruningConfig:
    """``nash/pruning_synthetic``: NASH against baselines, synthetic or release data."""

    # tier
    data_source: str = "synthetic"  # "synthetic" (offline) or "release" (paper tier files)
    # data: paper tier (data_source = "release")
    dataset: str = "samsum"  # samsum, xsum, cnn_dailymail, tweet_qa, glue/<t>, superglue/<t>
    arch: str = "t5-base"  # checkpoint folder under data_root()/nash
    max_source_len_tokens: int = 128  # input truncation (release pruning: 128)
    max_target_len_tokens: int = 128  # label truncation
    n_eval: int = 0  # evaluation examples (0: the whole split)
    # data: synthetic tier
    vocab_size: int = 40  # token ids (0 pad, 1 EOS)
    keyword_rule: str = "topic"  # "topic": keyword if in the group named by the first token; "id"
    num_keywords: int = 12  # "id" rule: ids that form the "summary"
    num_markers: int = 3  # "topic" rule: topic ids (words split into this many groups)
    min_source_len: int = 8  # shortest source
    max_source_len: int = 12  # longest source
    max_target_len: int = 4  # keywords kept in the target
    n_train: int = 3000  # training examples
    n_test: int = 200  # evaluation examples
    # model: synthetic teacher, trained from scratch
    d_model: int = 32  # hidden size
    d_ff: int = 128  # FFN size
    num_heads: int = 4  # attention heads
    num_layers: int = 3  # encoder and decoder depth (paper tier: the checkpoint's)
    # compression
    methods: tuple[str, ...] = (
        "full",
        "nash",
        "cofi",
        "decoder_only",
    )  # compared at equal size from the same teacher per seed (also nash_no_distill, encoder_only)
    encoder_sparsity: float = 0.5  # NASH / encoder-only target: encoder heads + FFN params removed
    decoder_layers: int = 2  # NASH / decoder-only: decoder blocks kept (uniform selection)
    sweep_sparsities: tuple[float, ...] = (0.0, 0.1, 0.5, 0.7)  # NASH encoder targets at k
    layer_selections: tuple[str, ...] = ("unif", "low", "high", "learned")  # ablation rows
    fit_masks: bool = True  # final masks fitted to the target size; False: the release's rule
    # training
    seeds: tuple[int, ...] = (0, 1, 2)  # one teacher and one run of every method per seed
    teacher_steps: int = 500  # teacher training steps (paper tier: fine-tuning of pretrained T5)
    prune_steps: int = 60  # pruning steps with masks
    warmup_steps: int = 30  # Lagrangian target ramp length in steps (the release: half the run)
    final_steps: int = 15  # fine-tuning steps after physical pruning
    lr: float = 0.005  # teacher learning rate (release: 3e-4 for T5 fine-tuning)
    prune_lr: float = 0.001  # model learning rate while pruning (release: 3e-5)
    final_lr: float = 0.001  # learning rate of the fine-tune after pruning (release: 3e-4)
    reg_lr: float = 0.1  # lr of mask log-alphas and multipliers (release: 0.01, ~100x more steps)
    batch_size: int = 32  # training batch size (release: 16 while pruning)
    # distillation (method "nash"; the release trains with cross-entropy only)
    kd_alpha: float = 0.5  # weight of the KL term (cross-entropy: 1 - kd_alpha)
    distill_temperature: float = 2.0  # temperature (release flag --distill_temp 2)
    hidden_weight: float = 1.0  # weight of the hidden-state MSE
    # latency and device
    latency_batch: int = 32  # sequences per timed generate call
    latency_repeats: int = 3  # timed rounds, methods interleaved
    threads: int = 1  # torch CPU threads (0: leave the default)
    device: str = "auto"  # "auto" (cuda if available), "cpu" or "cuda"

    def __post_init__(self) -> None:
        name = type(self).__name__
        _check(
            self.data_source in DATA_SOURCES,
            name,
            "data_source",
            self.data_source,
            f"one of {DATA_SOURCES}",
        )
        known = [m.value for m in Method]
        bad = [m for m in self.methods if m not in known]
        _check(not bad, name, "methods", self.methods, f"names from {known}")
        _check(bool(self.seeds), name, "seeds", self.seeds, "at least one seed")
        _check(
            0.0 <= self.encoder_sparsity < 1.0,
            name,
            "encoder_sparsity",
            self.encoder_sparsity,
            "a fraction in [0, 1)",
        )
        _check(self.decoder_layers >= 1, name, "decoder_layers", self.decoder_layers, ">= 1")
        _check(
            self.keyword_rule in KEYWORD_RULES,
            name,
            "keyword_rule",
            self.keyword_rule,
            f"one of {KEYWORD_RULES}",
        )
        sweep = self.sweep_sparsities
        _check_fractions(name, "sweep_sparsities", sweep)
        _check(
            not sweep or (0.0 in sweep and len(sweep) >= 2),
            name,
            "sweep_sparsities",
            sweep,
            "empty, or 0.0 (the reference) and at least one s > 0",
        )
        bad = [s for s in self.layer_selections if s not in SELECTIONS]
        _check(not bad, name, "layer_selections", self.layer_selections, f"names from {SELECTIONS}")
        _check(
            not self.layer_selections or "unif" in self.layer_selections,
            name,
            "layer_selections",
            self.layer_selections,
            "to hold 'unif' (the reference)",
        )
        _check(self.device in DEVICES, name, "device", self.device, f"one of {DEVICES}")
        for field in (
            "teacher_steps",
            "prune_steps",
            "final_steps",
            "batch_size",
            "n_train",
            "n_test",
            "latency_batch",
            "latency_repeats",
        ):
            _check(getattr(self, field) >= 1, name, field, getattr(self, field), ">= 1")
        _check(
            0 <= self.warmup_steps <= self.prune_steps,
            name,
            "warmup_steps",
            self.warmup_steps,
            "in [0, prune_steps]",
        )
        _check(self.n_eval >= 0, name, "n_eval", self.n_eval, ">= 0 (0: whole split)")

    @property
    def tier(self) -> str:
        """``"mechanism"`` on synthetic data, ``"paper"`` on the release's data."""
        return "mechanism" if self.data_source == "synthetic" else "paper"
