"""NASH Fig. 1 redrawn (our drawing): a narrow encoder and a shallow decoder.

The paper's figure is a diagram; its caption (reference notes, section 3) names two parts,
width pruning of the encoder and depth pruning of the decoder. The details drawn here
follow the release (reference notes, section 1), not the figure itself:

* decoder: keep k of the L blocks, chosen uniformly (``floor((L-1)/(k-1)*i)``), fixed
  before training (:func:`repro.nash.layers.select_decoder_layers`);
* encoder: hard-concrete masks on attention heads ([L, H]) and FFN dims ([L, d_ff]) only
  (no hidden-dim or layer masks, unlike CoFi), pushed to a target sparsity by a Lagrangian
  term whose target ramps up linearly;
* training: token cross-entropy + the Lagrangian; the paper describes hidden-state and KL
  distillation, which the release leaves commented out; then physical pruning and a final
  fine-tune.
"""

from __future__ import annotations

from repro.nash.layers import select_decoder_layers

#: The drawn example: T5-base depth and the README's k = 3.
LAYERS = 12
KEEP = 3
_BOX = {"boxstyle": "round,pad=0.35", "linewidth": 1.0, "edgecolor": "0.3"}


def _box(ax, x: float, y: float, text: str, colour: str, size: float = 7.5) -> None:
    ax.text(x, y, text, ha="center", va="center", fontsize=size, bbox={**_BOX, "facecolor": colour})


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "0.25", "lw": 1.0}
    )


def _stack(ax, x: float, y0: float, width: float, n: int, kept: set[int], colour: str) -> None:
    """``n`` blocks bottom-up; blocks not in ``kept`` are drawn hatched and faded."""
    from matplotlib.patches import Rectangle

    height = 0.22
    for i in range(n):
        keep = i in kept
        ax.add_patch(
            Rectangle(
                (x - width / 2, y0 + i * (height + 0.04)),
                width,
                height,
                facecolor=colour if keep else "white",
                edgecolor="0.3" if keep else "0.7",
                hatch=None if keep else "////",
                linewidth=0.8,
            )
        )


def draw_overview(layers: int = LAYERS, keep: int = KEEP):
    """NASH's two parts and its training, as boxes and arrows.

    Args:
        layers: Decoder (and encoder) depth L of the drawn model.
        keep: Decoder blocks kept, k.

    Returns:
        The matplotlib ``Figure`` (never saved here).
    """
    import matplotlib.pyplot as plt

    kept = select_decoder_layers(layers, keep)
    fig, ax = plt.subplots(figsize=(10.0, 4.4))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 4.4)
    ax.axis("off")
    blue, green, orange, grey = "#dbe9f6", "#dff2df", "#fde5cc", "0.92"

    # Full model.
    ax.text(1.25, 4.15, f"fine-tuned T5 ({layers} + {layers} blocks)", ha="center", fontsize=8.5)
    _stack(ax, 0.7, 0.6, 0.8, layers, set(range(layers)), blue)
    _stack(ax, 1.8, 0.6, 0.8, layers, set(range(layers)), green)
    ax.text(0.7, 0.35, "encoder", ha="center", fontsize=7.5)
    ax.text(1.8, 0.35, "decoder", ha="center", fontsize=7.5)
    _arrow(ax, (2.4, 2.2), (3.0, 2.2))

    # Narrow encoder: width pruning under hard-concrete masks.
    ax.text(4.0, 4.15, "narrow encoder (width)", ha="center", fontsize=8.5, fontweight="bold")
    _stack(ax, 3.55, 0.6, 0.5, layers, set(range(layers)), blue)
    ax.text(3.55, 0.35, "encoder", ha="center", fontsize=7.5)
    _box(
        ax,
        4.55,
        2.55,
        "hard-concrete masks z\non heads [L, H]\nand FFN dims [L, d_ff]\n"
        "(no hidden-dim or\nlayer masks)",
        blue,
        7,
    )
    _box(ax, 4.55, 1.0, "Lagrangian term:\nexpected sparsity\n→ target (linear ramp)", grey, 7)

    # Shallow decoder: keep k of L blocks, uniformly spaced.
    ax.text(6.55, 4.15, "shallow decoder (depth)", ha="center", fontsize=8.5, fontweight="bold")
    _stack(ax, 6.0, 0.6, 0.5, layers, set(kept), green)
    ax.text(6.0, 0.35, "decoder", ha="center", fontsize=7.5)
    _box(
        ax,
        7.0,
        2.55,
        f"keep k = {keep} of L = {layers}\nuniform: blocks\n{', '.join(map(str, kept))}\n"
        "fixed before training",
        green,
        7,
    )
    _arrow(ax, (7.75, 2.2), (8.2, 2.2))

    # Training and after.
    _box(
        ax,
        9.1,
        3.0,
        "train masks + weights:\ncross-entropy\n+ Lagrangian\n"
        "(+ distillation in the\npaper; off in the release)",
        orange,
        6.8,
    )
    _arrow(ax, (9.1, 2.35), (9.1, 1.95))
    _box(ax, 9.1, 1.4, "remove masked\nheads / FFN dims,\nthen final\nfine-tune", orange, 6.8)
    fig.tight_layout()
    return fig
