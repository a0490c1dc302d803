"""Figures of the temporal page: Fig. 5 analogue (segmentation as colour bars).

Plot functions take arrays and return a ``matplotlib`` Figure; they never save.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

#: Background is light grey, as in the paper's Fig. 5; actions take tab10's colours.
BACKGROUND_COLOUR = (0.88, 0.88, 0.88, 1.0)


def class_colours(n_classes: int) -> ListedColormap:
    """Colour map: class 0 (background) grey, classes 1.. in tab10 order."""
    tab = plt.get_cmap("tab10")
    return ListedColormap([BACKGROUND_COLOUR] + [tab(i % 10) for i in range(n_classes - 1)])


def plot_segmentation_bars(
    streams: list[tuple[str, np.ndarray, dict[str, np.ndarray]]],
    class_names: list[str],
    title: str,
) -> Figure:
    """Ground truth and each model's per-step predictions as colour bars, one panel per stream.

    Args:
        streams: ``(panel title, labels int[T], {row name: predictions int[T]})`` per stream.
        class_names: Names of classes ``0..C-1`` (class 0 is background).
        title: Figure title (should state the tier).
    """
    cmap = class_colours(len(class_names))
    rows = [1 + len(preds) for _, _, preds in streams]
    fig, axes = plt.subplots(
        len(streams), 1, figsize=(9.0, 0.42 * sum(rows) + 1.6 * len(streams)),
        gridspec_kw={"height_ratios": rows}, squeeze=False,
    )  # fmt: skip
    for ax, (name, labels, preds) in zip(axes[:, 0], streams, strict=True):
        bars = np.stack([labels, *preds.values()])
        ax.imshow(bars, aspect="auto", cmap=cmap, vmin=0, vmax=len(class_names) - 1,
                  interpolation="nearest")  # fmt: skip
        ax.set_yticks(range(len(bars)), ["ground truth", *preds.keys()], fontsize=8)
        ax.set_xlabel("window (time step)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(name, fontsize=9)
    handles = [Patch(color=cmap(i), label=c) for i, c in enumerate(class_names)]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig
