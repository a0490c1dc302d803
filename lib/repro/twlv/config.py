"""The ``Config`` of every TWLV-I notebook (and of ``repro twlv evaluate``): one home per setting.

Each notebook class's fields, order and defaults are exactly its notebook's parameters cell
(``tests/test_notebook_configs.py`` keeps them equal); profiles hold overrides only. The
paper-tier recipe of the benchmark notebook lives in ``profiles/paper.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Label-blind encoders of the synthetic benchmark (see :mod:`repro.twlv.encoders`).
ENCODERS = ("image", "motion", "videomae")
#: Every encoder the benchmark knows: the above and the learned motion encoder of
#: :mod:`repro.twlv.temporal` (arrow-consistency pretext on unlabelled clips).
ALL_ENCODERS = (*ENCODERS, "temporal")
#: kNN neighbours of the sensitivity figure (the official k = 200 is among them).
KNN_KS = (10, 20, 50, 100, 200)
#: Released TWLV-I embedding folders (Dropbox tar names) and their class counts (paper Table 2).
RELEASE_DATASETS = {
    "K400": ("Kinetics400", 400),
    "SSv2": ("sthsth-v2", 174),
    "DV48": ("Diving48", 48),
    "MiT": ("MomentsInTime", 305),
}
DATA_SOURCES = ("synthetic", "release")
#: kNN neighbours of the official ``knn/main.py`` (the paper states no k).
KNN_K = 200
#: Attentive-probe weight decay and batch of paper Table 4.
ATTENTIVE_WEIGHT_DECAY = 1e-5
ATTENTIVE_BATCH = 256
TABLES_FOR_FIG2 = ("Table 3", "Table 5")


def _check_positive(**values: int | float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name}={value}: expected > 0")


def _check_encoders(encoders: tuple[str, ...]) -> None:
    unknown = sorted(set(encoders) - set(ALL_ENCODERS))
    if unknown or not encoders:
        raise ValueError(f"encoders {list(encoders)}: expected some of {list(ALL_ENCODERS)}")


@dataclass(frozen=True)
class ReportedTablesConfig:
    """``twlv_i/reported_tables``: the paper's numbers re-rendered (nothing recomputed)."""

    # display
    decimals: int = 2  # digits shown in the rendered tables
    fig2_table: str = "Table 3"  # table the Fig. 2 re-plot uses: "Table 3" (linear) or "Table 5"

    def __post_init__(self) -> None:
        if self.fig2_table not in TABLES_FOR_FIG2:
            raise ValueError(f"fig2_table={self.fig2_table!r}: expected one of {TABLES_FOR_FIG2}")
        if not 0 <= self.decimals <= 6:
            raise ValueError(f"decimals={self.decimals}: expected 0..6")


@dataclass(frozen=True)
class SyntheticBenchmarkConfig:
    """``twlv_i/synthetic_benchmark``: Tables 3, 5, 6 and Fig. 2 (synthetic or released data)."""

    # data
    data_source: str = "synthetic"  # "synthetic" (offline) or "release" (paper tier)
    seeds: tuple[int, ...] = (0, 1, 2)  # seeds of data, encoders and probes (paired by seed)
    n_train: int = 600  # synthetic training videos per seed
    n_val: int = 200  # synthetic validation videos per seed
    n_clips: int = 3  # sub-clips per video (the release's multi-clip variant)
    frames_per_clip: int = 8  # frames per sub-clip, and frames of the uniform view
    frame_size: int = 32  # frame height and width, pixels
    n_shapes: int = 4  # sprite shapes (appearance classes: shapes times colours)
    n_colours: int = 2  # sprite colours
    # model
    encoders: tuple[str, ...] = ALL_ENCODERS  # label-blind encoders to evaluate
    mae_steps: int = 200  # self-supervised steps of the small video transformer
    temporal_steps: int = 200  # steps of the temporal-order pretext (32 pairs per step)
    # probes
    probe_standardize: bool = True  # BatchNorm without affine before both heads (MAE/V-JEPA)
    probe_steps: int = 300  # linear-probe SGD steps (whole epochs, at least); 0: probe_epochs
    probe_epochs: int = 30  # linear-probe epochs when probe_steps is 0
    probe_lrs: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0)  # linear lrs; best on 10 % held out
    attentive_steps: int = 200  # attentive-probe AdamW steps; 0: attentive_epochs
    attentive_epochs: int = 20  # attentive-probe epochs (Table 4, K400) when steps is 0
    attentive_lrs: tuple[float, ...] = (0.001,)  # attentive lrs (Table 4: 1e-3, wd 1e-5)
    attentive_batch: int = 64  # attentive-probe batch (Table 4: 256, for far larger splits)
    attentive_mlp_ratio: float = 4.0  # MLP width over D in the pooler block (V-JEPA: 4)
    knn_k: int = KNN_K  # kNN neighbours (official code: 200; temperature fixed at 0.1)
    knn_ks: tuple[int, ...] = KNN_KS  # k of the sensitivity figure (plus k scaled to the bank)
    # system
    num_threads: int = 1  # torch threads, 0 keeps the default (1 is fastest here)
    # paper tier
    release_datasets: tuple[str, ...] = ("K400", "SSv2", "DV48", "MiT")  # Table 3 sets
    release_lr_multipliers: tuple[float, ...] = (0.5, 1.0, 2.0)  # sweep around Table 4 lr
    release_epochs: int = 0  # linear-probe epochs, 0 keeps Table 4's per-dataset epochs

    def __post_init__(self) -> None:
        if self.data_source not in DATA_SOURCES:
            raise ValueError(f"data_source={self.data_source!r}: expected {DATA_SOURCES}")
        if not self.seeds:
            raise ValueError("seeds is empty: expected at least one seed")
        _check_encoders(self.encoders)
        _check_positive(
            n_train=self.n_train,
            n_val=self.n_val,
            n_clips=self.n_clips,
            frames_per_clip=self.frames_per_clip,
            frame_size=self.frame_size,
            probe_epochs=self.probe_epochs,
            attentive_epochs=self.attentive_epochs,
            attentive_batch=self.attentive_batch,
            attentive_mlp_ratio=self.attentive_mlp_ratio,
            knn_k=self.knn_k,
        )
        if not self.knn_ks or min(self.knn_ks) <= 0:
            raise ValueError(f"knn_ks={list(self.knn_ks)}: expected positive neighbour counts")
        if min(self.probe_steps, self.attentive_steps, self.temporal_steps) < 0:
            raise ValueError("probe_steps, attentive_steps, temporal_steps must be >= 0")
        unknown = sorted(set(self.release_datasets) - set(RELEASE_DATASETS))
        if unknown:
            raise ValueError(f"release_datasets {unknown}: expected {list(RELEASE_DATASETS)}")
        if self.release_epochs < 0 or self.num_threads < 0 or self.mae_steps < 0:
            raise ValueError("release_epochs, num_threads, mae_steps must be >= 0")


@dataclass(frozen=True)
class EmbeddingGeometryConfig:
    """``twlv_i/embedding_geometry``: t-SNE (Figs. 3, 6, 7) and forward vs reversed (Figs. 8, 9)."""

    # data
    seeds: tuple[int, ...] = (0, 1, 2)  # seeds of data, encoders, t-SNE and CV folds
    n_train: int = 600  # synthetic training videos (train the video transformer)
    n_val: int = 200  # synthetic validation videos (the t-SNE points)
    n_clips: int = 3  # sub-clips per video
    frames_per_clip: int = 8  # frames per clip
    frame_size: int = 32  # frame height and width, pixels
    n_shapes: int = 4  # sprite shapes (appearance classes: shapes times colours)
    n_colours: int = 2  # sprite colours
    # model
    encoders: tuple[str, ...] = ENCODERS  # label-blind encoders to compare
    mae_steps: int = 200  # self-supervised steps of the video transformer
    # analysis
    max_points: int = 200  # cap on t-SNE points and on clip pairs per reversal class
    # system
    num_threads: int = 1  # torch threads, 0 keeps the torch default

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("seeds is empty: expected at least one seed")
        _check_encoders(self.encoders)
        _check_positive(
            n_train=self.n_train,
            n_val=self.n_val,
            n_clips=self.n_clips,
            frames_per_clip=self.frames_per_clip,
            frame_size=self.frame_size,
            max_points=self.max_points,
        )


@dataclass(frozen=True)
class EvaluateConfig:
    """``repro twlv evaluate``: probe any model's embeddings in the release format.

    The kNN and attentive settings are the benchmark notebook's; the linear probe is the
    official offline recipe (Adam, 150 epochs) with a small learning-rate sweep.
    """

    protocol: str = "all"  # "linear", "attentive", "knn" or "all"
    knn_k: int = SyntheticBenchmarkConfig.knn_k  # kNN neighbours
    linear_lrs: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3)  # around the release's 1e-3
    attentive_lrs: tuple[float, ...] = (3e-4, 1e-3, 3e-3)  # around Table 4's 1e-3
    attentive_epochs: int = SyntheticBenchmarkConfig.attentive_epochs  # Table 4: K400 20
    attentive_mlp_ratio: float = SyntheticBenchmarkConfig.attentive_mlp_ratio  # V-JEPA: 4
    standardize: bool = True  # BatchNorm without affine before both heads (MAE/V-JEPA)
    refit: bool = True  # retrain the chosen setting on the whole training split
    epochs: int = 0  # override both probes' epochs, 0 keeps the recipes'
    seed: int = 0  # probe seed

    def __post_init__(self) -> None:
        protocols = ("linear", "attentive", "knn", "all")
        if self.protocol not in protocols:
            raise ValueError(f"protocol={self.protocol!r}: expected one of {protocols}")
        _check_positive(
            knn_k=self.knn_k,
            attentive_epochs=self.attentive_epochs,
            attentive_mlp_ratio=self.attentive_mlp_ratio,
        )


# --- twlv_i/temporal_localization (Tables 9, 10, 12 and Fig. 5, mechanism tier) ---
#: Feature names beyond the benchmark encoders: "a+b" concatenates encoders, "oracle" is the
#: label-derived positive control (noisy one-hot of each window's class).
ORACLE = "oracle"


def _check_temporal_encoders(encoders: tuple[str, ...]) -> None:
    parts = [p for name in encoders if name != ORACLE for p in name.split("+")]
    unknown = sorted(set(parts) - set(ENCODERS))
    if unknown or not encoders:
        raise ValueError(
            f"encoders {list(encoders)}: expected names from {list(ENCODERS)}, joined with '+', "
            f"or {ORACLE!r}"
        )


@dataclass(frozen=True)
class TemporalLocalizationConfig:
    """``twlv_i/temporal_localization``: TAS (Table 12, Fig. 5) and TAL (Tables 9-10) offline.

    The release's recipes (Table 7: ASFormer 120 epochs, ActionFormer 45 / 10 epochs) are for
    real features; these sizes are for synthetic streams on one CPU thread.
    """

    # data
    seeds: tuple[int, ...] = (0, 1, 2)  # seeds of streams, encoders and models (paired by seed)
    n_train_streams: int = 32  # training streams per seed
    n_test_streams: int = 16  # test streams per seed
    stream_windows: int = 64  # windows (feature steps) per stream
    frames_per_window: int = 8  # frames per window; one embedding per window
    frame_size: int = 32  # frame height and width, pixels
    action_median: float = 8.0  # median action length, windows (log-normal)
    action_sigma: float = 0.5  # sigma of log action length
    background_median: float = 4.0  # median background gap, windows (log-normal)
    background_sigma: float = 0.6  # sigma of log background gap
    background_prob: float = 0.8  # chance that a background gap precedes an action
    # features
    encoders: tuple[str, ...] = ("image", "motion", "videomae", "image+motion", ORACLE)  # frozen
    mae_steps: int = 200  # self-supervised steps of the video transformer (as the benchmark)
    mae_windows: int = 1024  # unlabelled training windows the video transformer sees
    oracle_noise: float = 0.5  # std of the Gaussian noise on the oracle's one-hot features
    # segmentation (TAS, Table 12)
    tas_channels: int = 24  # channels of the two-stage dilated TCN
    tas_layers: int = 5  # dilated layers per stage (dilations 1 .. 16)
    tas_stages: int = 2  # stages (the second refines the first's probabilities)
    tas_epochs: int = 50  # full-batch Adam steps
    tas_lr: float = 0.01  # Adam learning rate
    # localisation (TAL, Tables 9-10)
    tal_channels: int = 24  # channels of the single-scale anchor-free head
    tal_layers: int = 4  # dilated layers (dilations 1 .. 8)
    tal_epochs: int = 50  # full-batch AdamW steps
    tal_lr: float = 0.01  # AdamW learning rate
    nms_sigma: float = 0.5  # Gaussian Soft-NMS width (release: THUMOS 0.5, ANet 0.75)
    max_segments: int = 100  # detections kept per stream (release: THUMOS 200, ANet 100)
    thumos_tious: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)  # Table 9 thresholds
    anet_tious: tuple[float, ...] = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)  # T10
    # figure
    fig5_streams: tuple[int, ...] = (0, 1)  # test streams drawn as colour bars (first seed)
    # system
    num_threads: int = 1  # torch threads, 0 keeps the torch default

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("seeds is empty: expected at least one seed")
        _check_temporal_encoders(self.encoders)
        _check_positive(
            n_train_streams=self.n_train_streams,
            n_test_streams=self.n_test_streams,
            stream_windows=self.stream_windows,
            frame_size=self.frame_size,
            action_median=self.action_median,
            background_median=self.background_median,
            mae_windows=self.mae_windows,
            tas_channels=self.tas_channels,
            tas_layers=self.tas_layers,
            tas_stages=self.tas_stages,
            tas_epochs=self.tas_epochs,
            tas_lr=self.tas_lr,
            tal_channels=self.tal_channels,
            tal_layers=self.tal_layers,
            tal_epochs=self.tal_epochs,
            tal_lr=self.tal_lr,
            nms_sigma=self.nms_sigma,
            max_segments=self.max_segments,
        )
        if self.frames_per_window < 4:
            raise ValueError(f"frames_per_window={self.frames_per_window}: expected >= 4")
        if not 0.0 <= self.background_prob <= 1.0:
            raise ValueError(f"background_prob={self.background_prob}: expected 0..1")
        if min(self.action_sigma, self.background_sigma, self.oracle_noise, self.mae_steps) < 0:
            raise ValueError("action_sigma, background_sigma, oracle_noise, mae_steps must be >= 0")
        for name in ("thumos_tious", "anet_tious"):
            values = getattr(self, name)
            if not values or not all(0.0 < v <= 1.0 for v in values):
                raise ValueError(f"{name}={list(values)}: expected thresholds in (0, 1]")
        bad = [i for i in self.fig5_streams if not 0 <= i < self.n_test_streams]
        if bad:
            raise ValueError(f"fig5_streams {bad}: expected indices below n_test_streams")


# --- end twlv_i/temporal_localization ---
