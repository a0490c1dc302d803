"""Embedding geometry: t-SNE / PCA maps and forward-vs-reversed analysis (paper Figs. 3, 6-9).

Compute functions return arrays or dicts; plot functions take them and return a
``matplotlib`` Figure, never saving it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def pca_2d(x: np.ndarray) -> np.ndarray:
    """float[n, D] -> float[n, 2] projection on the first two principal components."""
    from sklearn.decomposition import PCA

    return PCA(n_components=2).fit_transform(np.asarray(x, dtype=np.float64))


def tsne_2d(x: np.ndarray, seed: int, perplexity: float = 30.0) -> np.ndarray:
    """float[n, D] -> float[n, 2] t-SNE map (PCA initialisation, seeded).

    The official visualisation uses ``TSNE(2, random_state=1212)``; pass ``seed=1212`` for it.
    """
    from sklearn.manifold import TSNE

    perplexity = min(perplexity, max(2.0, (len(x) - 1) / 3))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    return tsne.fit_transform(np.asarray(x, dtype=np.float64))


def forward_reversed_analysis(
    forward: np.ndarray, reversed_: np.ndarray, seed: int, folds: int = 5
) -> dict[str, object]:
    """How well embeddings tell a clip from the same clip played backwards (Figs. 8/9, quantified).

    The paper shows LDA projections only; here the number is the cross-validated accuracy and
    AUC of a logistic regression on forward (label 1) vs reversed (label 0) embeddings. Folds
    keep a clip and its reversal together (grouped), so the test never sees a pair member
    that was trained on. An encoder blind to temporal order scores exactly 50 %.

    Args:
        forward: float[n, D] embeddings of forward clips.
        reversed_: float[n, D] embeddings of the same clips reversed, row for row.
        seed: Seeds the fold assignment.
        folds: Cross-validation folds (clipped to n).

    Returns:
        ``accuracy`` and ``auc`` in percent, ``lda_forward``/``lda_reversed`` float[n] 1-D
        LDA projections fitted on all pairs (for plotting).
    """
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    n = len(forward)
    x = np.concatenate([forward, reversed_]).astype(np.float64)
    y = np.concatenate([np.ones(n, int), np.zeros(n, int)])
    groups = np.tile(np.random.default_rng(seed).permutation(n), 2)
    scores = np.zeros(2 * n)
    for train, test in GroupKFold(n_splits=min(folds, n)).split(x, y, groups):
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        clf.fit(x[train], y[train])
        scores[test] = clf.decision_function(x[test])
    accuracy = 100.0 * np.mean((scores > 0) == (y == 1))
    auc = 100.0 * roc_auc_score(y, scores) if np.ptp(scores) > 0 else 50.0
    proj = _lda_projection(x, y, LinearDiscriminantAnalysis)
    return {
        "accuracy": float(accuracy),
        "auc": float(auc),
        "lda_forward": proj[:n],
        "lda_reversed": proj[n:],
    }


def _lda_projection(x: np.ndarray, y: np.ndarray, lda_cls) -> np.ndarray:
    """1-D LDA projection; all zeros when the two classes are identical (no direction exists)."""
    if np.array_equal(x[y == 1], x[y == 0]):
        return np.zeros(len(x))
    # With two classes LDA has one component (the official n_components=2 would fail).
    return lda_cls(n_components=1, solver="eigen", shrinkage="auto").fit_transform(x, y)[:, 0]


def plot_embedding_maps(
    maps: dict[str, np.ndarray], labels: np.ndarray, class_names: list[str], title: str
) -> Figure:
    """One scatter panel per encoder: ``maps[name]`` float[n, 2] coloured by ``labels`` int[n]."""
    fig, axes = plt.subplots(1, len(maps), figsize=(3.6 * len(maps), 3.6), squeeze=False)
    cmap = plt.get_cmap("tab10" if len(class_names) <= 10 else "tab20")
    for ax, (name, xy) in zip(axes[0], maps.items(), strict=True):
        for c, cname in enumerate(class_names):
            sel = labels == c
            ax.scatter(xy[sel, 0], xy[sel, 1], s=6, color=cmap(c % cmap.N), label=cname)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, -1].legend(fontsize=6, markerscale=2, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_forward_reversed(results: dict[str, dict[str, object]], title: str) -> Figure:
    """Histograms of the 1-D LDA projection, forward vs reversed, one panel per encoder."""
    fig, axes = plt.subplots(1, len(results), figsize=(3.6 * len(results), 3.0), squeeze=False)
    for ax, (name, res) in zip(axes[0], results.items(), strict=True):
        fwd, rev = np.asarray(res["lda_forward"]), np.asarray(res["lda_reversed"])
        lo, hi = min(fwd.min(), rev.min()), max(fwd.max(), rev.max())
        bins = np.linspace(lo - 0.5, hi + 0.5, 25) if hi - lo < 1e-9 else 25
        ax.hist(fwd, bins=bins, alpha=0.6, label="forward")
        ax.hist(rev, bins=bins, alpha=0.6, label="reversed")
        ax.set_title(f"{name}\nCV accuracy {res['accuracy']:.1f} %", fontsize=9)
        ax.set_xlabel("LDA component 1")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_appearance_vs_motion(
    summary: pd.DataFrame, title: str, chance: float | None = None
) -> Figure:
    """Fig. 2 analogue: x = appearance-task score, y = motion-task score, one point per model.

    Args:
        summary: Columns ``model``, ``appearance``, ``motion`` and optional ``appearance_std``,
            ``motion_std`` (error bars over seeds).
        title: Figure title (should state the tier).
        chance: If given, dashed lines at this chance level (percent) on both axes.
    """
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    for _, row in summary.iterrows():
        ax.errorbar(
            row["appearance"],
            row["motion"],
            xerr=row.get("appearance_std", 0.0),
            yerr=row.get("motion_std", 0.0),
            fmt="o",
            capsize=3,
            label=row["model"],
        )
    if chance is not None:
        ax.axhline(chance, color="grey", ls="--", lw=0.8)
        ax.axvline(chance, color="grey", ls="--", lw=0.8, label=f"chance ({chance:g} %)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("appearance-centric top-1 (%)")
    ax.set_ylabel("motion-centric top-1 (%)")
    ax.set_title(title, fontsize=9)
    # Centre right stays clear: the encoders sit near the axes or at the top.
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    return fig


def plot_over_seeds(
    df: pd.DataFrame,
    x: str,
    y: str,
    hue: str,
    title: str,
    col: str | None = None,
    chance: float | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Results over seeds: every seed as a dot, the mean with its 95 % t-interval on top.

    Args:
        df: Long table, one row per seed and condition (e.g. :func:`repro.twlv.tables.per_seed`).
        x: Column on the x axis (e.g. ``encoder``).
        y: Value column (percent).
        hue: Column coloured (e.g. ``task`` or ``protocol``).
        title: Figure title (should state the tier).
        col: Optional column split into panels.
        chance: Dashed chance line (percent).
        ylabel: Axis label; default ``y``.
    """
    import seaborn as sns

    from repro.core.claims import t_interval

    def interval(values: pd.Series) -> tuple[float, float]:
        # Same Student-t interval as the verdicts (seaborn's "ci" would bootstrap 3 seeds).
        _, low, high = t_interval(list(values))
        return (low, high) if np.isfinite(low) else (float(values.mean()),) * 2

    panels = list(dict.fromkeys(df[col])) if col else [None]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.6 * len(panels), 3.8), squeeze=False, sharey=True
    )
    for ax, panel in zip(axes[0], panels, strict=True):
        part = df if panel is None else df[df[col] == panel]
        several = part[hue].nunique() > 1
        sns.stripplot(
            data=part, x=x, y=y, hue=hue, dodge=several, alpha=0.45, size=4, ax=ax, legend=False
        )
        sns.pointplot(
            data=part, x=x, y=y, hue=hue, dodge=0.4 if several else False, linestyle="none",
            errorbar=interval, markers="D", capsize=0.08, ax=ax,
        )  # fmt: skip
        if chance is not None:
            ax.axhline(chance, color="grey", ls="--", lw=0.8)
        ax.set_title(f"{col} = {panel}" if panel is not None else "", fontsize=9)
        ax.set_ylabel(ylabel or y)
        ax.tick_params(axis="x", labelsize=8)
        if ax.get_legend() is not None:
            if ax is axes[0, -1]:
                # Middle right stays clear: scores sit near chance or near the top.
                sns.move_legend(ax, "center right", fontsize=8, title_fontsize=8)
            else:
                ax.get_legend().remove()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
