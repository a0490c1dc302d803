"""Figures of the temporal page: Fig. 5 analogue (segmentation as colour bars).

Plot functions take arrays and return a ``matplotlib`` Figure; they never save.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

#: Background is light grey, as in the paper's Fig. 5; actions take tab10's colours except
#: its grey (index 7), which would read as background.
BACKGROUND_COLOUR = (0.88, 0.88, 0.88, 1.0)
_ACTION_COLOURS = (0, 1, 2, 3, 4, 5, 6, 8, 9)


def class_colours(n_classes: int) -> ListedColormap:
    """Colour map: class 0 (background) light grey, classes 1.. in tab10 order without grey."""
    tab = plt.get_cmap("tab10")
    picks = [_ACTION_COLOURS[i % len(_ACTION_COLOURS)] for i in range(n_classes - 1)]
    return ListedColormap([BACKGROUND_COLOUR] + [tab(i) for i in picks])


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
