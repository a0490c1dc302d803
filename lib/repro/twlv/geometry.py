"""Embedding-geometry runner behind ``twlv_i/embedding_geometry`` (paper Figs. 3, 6-9).

t-SNE maps of synthetic validation embeddings and the forward-vs-reversed analysis: can an
encoder tell a clip from the same clip played backwards? (The paper shows LDA projections
of SSv2 "Moving something up/down" for this; no reversed-video embeddings were released,
so this analysis has no paper tier.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from repro.twlv import synthetic
from repro.twlv.config import EmbeddingGeometryConfig
from repro.twlv.runner import build_encoder, generator_kwargs

#: Motion classes used for the forward-vs-reversed figures (paper Figs. 8 and 9).
REVERSAL_CLASSES = {"straight up": 0, "straight down": 1}


def run_geometry_seed(cfg: EmbeddingGeometryConfig, seed: int) -> dict[str, object]:
    """t-SNE maps of validation embeddings and forward-vs-reversed analyses for one seed.

    Args:
        cfg: Benchmark sizes, encoders and ``max_points`` (cap on points per t-SNE map and
            on clips per reversal class).
        seed: Seeds data, encoders, t-SNE and cross-validation folds.

    Returns:
        ``maps`` {encoder: float[m, 2]}, ``appearance``/``motion`` int[m] labels of the mapped
        points, ``reversal`` {class name: {encoder: analysis dict}}, and ``table``: a long
        DataFrame (seed, encoder, motion_class, metric, value, n_pairs) of the reversal
        accuracies (percent).
    """
    from repro.twlv import viz

    data = synthetic.generate_benchmark(**generator_kwargs(cfg), seed=seed)
    view = {
        s: synthetic.uniform_view(data[f"{s}_videos"], cfg.frames_per_clip)
        for s in ("train", "val")
    }
    pick = np.random.default_rng(seed).permutation(cfg.n_val)[: cfg.max_points]
    out = {"maps": {}, "reversal": {c: {} for c in REVERSAL_CLASSES}}
    out["appearance"], out["motion"] = data["val_appearance"][pick], data["val_motion"][pick]
    motion = np.concatenate([data["train_motion"], data["val_motion"]])
    clips = np.concatenate([view["train"], view["val"]])
    rows = []
    for name in cfg.encoders:
        model = build_encoder(name, cfg, data["train_videos"], seed)
        out["maps"][name] = viz.tsne_2d(model.encode(view["val"][pick]), seed=seed)
        for cname, label in REVERSAL_CLASSES.items():
            sel = clips[motion == label][: cfg.max_points]
            res = viz.forward_reversed_analysis(
                model.encode(sel), model.encode(synthetic.reverse_videos(sel)), seed=seed
            )
            out["reversal"][cname][name] = res
            rows += [
                {"seed": seed, "encoder": name, "motion_class": cname, "metric": m,
                 "value": res[m], "n_pairs": len(sel)}
                for m in ("accuracy", "auc")
            ]  # fmt: skip
    out["table"] = pd.DataFrame(rows)
    return out
