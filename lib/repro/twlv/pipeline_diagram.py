"""Fig. 4 of TWLV-I redrawn: the uniform and the multi-clip way of embedding one video.

The paper's figure is a diagram, so there are no values to transcribe; what it shows is
fixed by the release's embedding format (README) and by how Table 6 reads it:

* *uniform* (``uniform/``): frames sampled evenly over the whole video, one clip, one
  embedding (Table 6 "Uniform");
* *multi-clip* (``multi-clip/``): the video cut into consecutive clips (2 s in Table 6),
  each clip embedded (``[id]_c.npy``, shape (n_clips, D); Table 6 "Clip"), and their mean
  stored as the video's embedding (``[id]_v.npy``, shape (D,); Table 6 "Video").

The 16 frames per clip are Table 4's setting.
"""

from __future__ import annotations

#: Frames per clip (Table 4) and clips drawn for the multi-clip row (illustrative).
FRAMES = 16
CLIPS_DRAWN = 4
_BOX = {"boxstyle": "round,pad=0.35", "linewidth": 1.0}


def _box(ax, x: float, y: float, text: str, colour: str) -> None:
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=7.5,
        bbox={**_BOX, "facecolor": colour, "edgecolor": "0.3"},
    )


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "0.25", "lw": 1.0}
    )


def _timeline(ax, x0: float, y: float, width: float, ticks: list[float], clips: int) -> None:
    """A video as a bar, clip boundaries as dividers and sampled frames as ticks."""
    ax.add_patch(_rectangle(x0, y - 0.09, width, 0.18))
    for i in range(1, clips):
        ax.plot([x0 + width * i / clips] * 2, [y - 0.13, y + 0.13], color="black", lw=1.2)
    for t in ticks:
        ax.plot([x0 + width * t] * 2, [y - 0.07, y + 0.07], color="tab:red", lw=0.8)


def _rectangle(x: float, y: float, w: float, h: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor="0.9", edgecolor="0.3")


def draw_embedding_pipelines():
    """The two embedding pipelines as boxes and arrows, one row each.

    Returns:
        The matplotlib ``Figure`` (never saved here).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.6, 3.6))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 4)
    ax.axis("off")
    blue, green, orange = "#dbe9f6", "#dff2df", "#fde5cc"

    # Uniform: frames spread over the whole video, one forward pass.
    y = 3.2
    ax.text(0.05, y + 0.45, "Uniform", fontsize=9, fontweight="bold")
    _timeline(ax, 0.1, y, 2.4, [(i + 0.5) / FRAMES for i in range(FRAMES)], clips=1)
    ax.text(1.3, y - 0.35, f"{FRAMES} frames over the whole video", ha="center", fontsize=7)
    _arrow(ax, (2.6, y), (3.3, y))
    _box(ax, 4.1, y, f"one clip\n({FRAMES} frames)", blue)
    _arrow(ax, (4.9, y), (5.6, y))
    _box(ax, 6.3, y, "frozen\nencoder", green)
    _arrow(ax, (7.0, y), (7.7, y))
    _box(ax, 8.75, y, "one embedding (D,)\nuniform/\nTable 6 'Uniform'", orange)

    # Multi-clip: consecutive clips, one forward pass each, then the mean.
    y = 1.35
    ax.text(0.05, y + 1.05, "Multi-clip", fontsize=9, fontweight="bold")
    per_clip = [
        (c + (i + 0.5) / FRAMES) / CLIPS_DRAWN for c in range(CLIPS_DRAWN) for i in range(FRAMES)
    ]
    _timeline(ax, 0.1, y, 2.4, per_clip, clips=CLIPS_DRAWN)
    ax.text(
        1.3,
        y - 0.35,
        f"cut into clips (2 s in Table 6),\n{FRAMES} frames each",
        ha="center",
        va="top",
        fontsize=7,
    )
    offsets = [0.6, 0.2, -0.2, -0.6]
    for k, dy in enumerate(offsets[:CLIPS_DRAWN]):
        _arrow(ax, (2.6, y), (3.45, y + dy))
        ax.text(
            3.85,
            y + dy,
            f"clip {k + 1}",
            ha="center",
            va="center",
            fontsize=6.5,
            bbox={**_BOX, "facecolor": blue, "edgecolor": "0.3"},
        )
        _arrow(ax, (4.25, y + dy), (4.9, y))
    _box(ax, 5.6, y, "frozen encoder\n(each clip)", green)
    _arrow(ax, (6.3, y), (6.75, y))
    _box(ax, 7.45, y, "clip embeddings\n(n_clips, D)\n[id]_c.npy\nTable 6 'Clip'", orange)
    _arrow(ax, (8.15, y), (8.5, y))
    _box(ax, 9.25, y, "mean over\nclips (D,)\n[id]_v.npy\nTable 6 'Video'", orange)
    fig.tight_layout()
    return fig
