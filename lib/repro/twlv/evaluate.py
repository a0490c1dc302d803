"""Bring your own model: run the probes on any embeddings in the release (or packed) format.

:func:`evaluate_embeddings` is what ``repro twlv evaluate EMBEDDINGS_DIR`` calls; it returns
a JSON-ready dict keyed by protocol (``linear``, ``attentive``, ``knn`` with its modes) and
metric (``top1``, ``top5`` in percent), plus the chosen hyperparameters and timings.

Layout detection: if ``EMBEDDINGS_DIR`` has ``uniform/`` and/or ``multi-clip/`` folders they are
used (uniform for the linear probe and kNN-uniform; multi-clip for the attentive probe and
kNN clip/video); otherwise ``EMBEDDINGS_DIR/{train,val}`` (or ``train.npz``/``val.npz``)
serves every protocol.

``--protocol official`` (:func:`run_official_command`) instead runs the release's own
kNN and linear probe on one folder, as :mod:`repro.twlv.official` documents, and reports
them under an ``official`` key.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from repro.twlv import io
from repro.twlv.config import ATTENTIVE_BATCH, ATTENTIVE_WEIGHT_DECAY, EvaluateConfig
from repro.twlv.knn import knn_evaluate
from repro.twlv.linear import ProbeProtocol, linear_probe, release_protocol
from repro.twlv.pooler import pooler_probe

PROTOCOLS = ("linear", "attentive", "knn")
#: Which variant each protocol reads: ``uniform`` or ``multi-clip`` (see the module docstring).
PROTOCOL_VARIANT = {
    "linear": "uniform",
    "attentive": "multi-clip",
    "knn (uniform)": "uniform",
    "knn (clip)": "multi-clip",
    "knn (video)": "multi-clip",
}


def _has_split(path: Path) -> bool:
    return (path / "train").is_dir() or (path / "train.npz").is_file()


def discover_variants(root: Path) -> dict[str, str | None]:
    """Which variant folder serves ``uniform`` and ``multi-clip`` use (None: ``root`` itself)."""
    found = {v: v for v in io.VARIANTS if _has_split(root / v)}
    if not found:
        if not _has_split(root):
            raise io.EmbeddingFormatError(
                f"{root}: expected train/ and val/ split folders (or uniform/ and multi-clip/ "
                "variant folders holding them, or train.npz and val.npz)"
            )
        return {"uniform": None, "multi-clip": None}
    return {
        "uniform": found.get("uniform", found.get("multi-clip")),
        "multi-clip": found.get("multi-clip", found.get("uniform")),
    }


def protocols_for(cfg: EvaluateConfig) -> tuple[ProbeProtocol, ProbeProtocol]:
    """The linear and attentive recipes of ``cfg`` (``epochs`` > 0 overrides both)."""

    def selection(lrs: tuple[float, ...]) -> dict[str, object]:
        # One setting needs no held-out part: it trains on all of train from the start.
        several = len(lrs) > 1
        return {"holdout_fraction": 0.1 if several else 0.0, "refit": cfg.refit and several}

    lp = dataclasses.replace(
        release_protocol(), lrs=cfg.linear_lrs, standardize=cfg.standardize,
        **selection(cfg.linear_lrs),
    )  # fmt: skip
    ap = ProbeProtocol(
        "attentive", "adamw", cfg.attentive_lrs, (ATTENTIVE_WEIGHT_DECAY,),
        cfg.attentive_epochs, 0, ATTENTIVE_BATCH, standardize=cfg.standardize,
        **selection(cfg.attentive_lrs),
    )  # fmt: skip
    if cfg.epochs:
        lp = dataclasses.replace(
            lp, epochs=cfg.epochs, warmup_epochs=min(lp.warmup_epochs, cfg.epochs)
        )
        ap = dataclasses.replace(ap, epochs=cfg.epochs)
    return lp, ap


def evaluate_embeddings(
    root: str | Path,
    protocols: tuple[str, ...] = PROTOCOLS,
    num_classes: int | None = None,
    linear_protocol: ProbeProtocol | None = None,
    attentive_protocol: ProbeProtocol | None = None,
    knn_k: int = EvaluateConfig.knn_k,
    seed: int = EvaluateConfig.seed,
    attentive_mlp_ratio: float = EvaluateConfig.attentive_mlp_ratio,
) -> dict[str, object]:
    """Run the requested protocols on embeddings under ``root``.

    Args:
        root: Dataset folder in the release or packed layout.
        protocols: Subset of ``("linear", "attentive", "knn")``.
        num_classes: Class count; default ``max label + 1`` over train and val.
        linear_protocol: Linear recipe; default the release's Adam recipe with the lr sweep
            of :class:`EvaluateConfig`, chosen on 10 % of train.
        attentive_protocol: Attentive recipe; default Table 4 (AdamW, wd 1e-5, batch 256)
            with the lr sweep and epochs of :class:`EvaluateConfig`. The probe is the
            full-width V-JEPA-style pooler (:func:`repro.twlv.pooler.pooler_probe`).
        knn_k: kNN neighbours.
        seed: Probe seed.
        attentive_mlp_ratio: The pooler block's MLP width over D.

    Returns:
        ``{"dataset": ..., "num_classes": C, "dim": D, "linear": {...}, "attentive": {...},
        "knn": {"uniform": {...}, "clip": {...}, "video": {...}}}``; ``variants`` says which
        folder served each variant (``"."`` for ``root`` itself), so a folder with only one of
        ``uniform/`` and ``multi-clip/`` reports the one actually read.
    """
    unknown = set(protocols) - set(PROTOCOLS)
    if unknown:
        raise ValueError(f"protocols {sorted(unknown)} unknown, expected some of {PROTOCOLS}")
    root = Path(root)
    variants = discover_variants(root)
    load_start = time.perf_counter()
    splits = {v: io.load_embeddings(root, v) for v in set(variants.values())}
    load_seconds = time.perf_counter() - load_start
    if num_classes is None:
        num_classes = 1 + max(int(s.labels.max()) for sp in splits.values() for s in sp.values())
    uni, multi = splits[variants["uniform"]], splits[variants["multi-clip"]]
    out: dict[str, object] = {
        "dataset": str(root),
        "num_classes": num_classes,
        "dim": uni["train"].dim,
        "variants": {k: v or "." for k, v in variants.items()},
        "load_seconds": round(load_seconds, 3),
    }
    default_lp, default_ap = protocols_for(EvaluateConfig())
    if "linear" in protocols:
        lp = linear_protocol or default_lp
        res = linear_probe(uni["train"], uni["val"], num_classes, lp, seed=seed)
        out["linear"] = _result_dict(res, lp)
    if "attentive" in protocols:
        ap = attentive_protocol or default_ap
        res = pooler_probe(
            multi["train"], multi["val"], num_classes, ap,
            mlp_ratio=attentive_mlp_ratio, seed=seed,
        )  # fmt: skip
        out["attentive"] = _result_dict(res, ap)
    if "knn" in protocols:
        out["knn"] = {}
        for mode in ("uniform", "clip", "video"):
            sp = uni if mode == "uniform" else multi
            start = time.perf_counter()
            res = knn_evaluate(sp["train"], sp["val"], num_classes, mode, k=knn_k)
            out["knn"][mode] = {
                **res,
                "k": knn_k,
                "temperature": 0.1,
                "seconds": round(time.perf_counter() - start, 3),
            }
    return out


def _result_dict(res, protocol: ProbeProtocol) -> dict[str, object]:
    return {
        "top1": res.top1,
        "top5": res.top5,
        "chosen": {"lr": res.lr, "weight_decay": res.weight_decay},
        "protocol": dataclasses.asdict(protocol),
        "holdout_top1": res.holdout_top1,
        "fit_rows": res.fit_rows,
        "seconds": round(res.seconds, 3),
    }


def results_table(results: dict[str, object]):
    """The book's table for one evaluation: rows protocol (and kNN mode), columns top1/top5."""
    import pandas as pd

    used = results.get("variants", {})
    rows = []
    for name in ("linear", "attentive"):
        if name in results:
            r = results[name]
            rows.append(
                {
                    "protocol": name,
                    "top1": r["top1"],
                    "top5": r["top5"],
                    "chosen": f"lr={r['chosen']['lr']:g}",
                    "read": _folder(used, PROTOCOL_VARIANT[name]),
                    "seconds": r["seconds"],
                }
            )
    for mode, r in results.get("knn", {}).items():
        rows.append(
            {
                "protocol": f"knn ({mode})",
                "top1": r["top1"],
                "top5": r["top5"],
                "chosen": f"k={r['k']}, T=0.1",
                "read": _folder(used, PROTOCOL_VARIANT[f"knn ({mode})"]),
                "seconds": r["seconds"],
            }
        )
    return pd.DataFrame(rows)


def _folder(used: dict[str, str], variant: str) -> str:
    """The folder that actually served ``variant`` (``uniform/``, ``multi-clip/`` or ``./``)."""
    folder = used.get(variant, variant)
    return "./" if folder == "." else f"{folder}/"


def variants_line(results: dict[str, object]) -> str:
    """One line naming the folder that served each variant, and any variant that was missing."""
    used = results.get("variants", {})
    parts = []
    for v in io.VARIANTS:
        note = "" if used.get(v) in (v, ".") else f" ({v}/ not found)"
        parts.append(f"{v} read from {_folder(used, v)}{note}")
    return "variants: " + "; ".join(parts)


def run_evaluate_command(
    embeddings_dir: str,
    cfg: EvaluateConfig,
    as_json: bool = False,
    num_classes: int | None = None,
) -> str:
    """What ``repro twlv evaluate`` prints: the results table, or JSON with ``as_json``.

    Args:
        embeddings_dir: Dataset folder.
        cfg: Protocol choice, sweeps, kNN k, epochs override and seed.
        as_json: Return JSON text instead of a table.
        num_classes: Class count override (default: max label + 1).
    """
    import json

    protocols = PROTOCOLS if cfg.protocol == "all" else (cfg.protocol,)
    lp, ap = protocols_for(cfg)
    results = evaluate_embeddings(
        embeddings_dir, protocols, num_classes, lp, ap, cfg.knn_k, cfg.seed,
        cfg.attentive_mlp_ratio,
    )  # fmt: skip
    if as_json:
        return json.dumps(results, indent=2, sort_keys=True, default=float)
    table = results_table(results)
    header = f"{results['dataset']}: {results['num_classes']} classes, D={results['dim']}"
    body = table.to_string(index=False, float_format=lambda v: f"{v:.2f}")
    return "\n".join([header, variants_line(results), body])


def run_official_command(
    embeddings_dir: str,
    as_json: bool = False,
    num_classes: int | None = None,
    dataset_name: str | None = None,
    variant: str | None = None,
    epochs: int = 0,
) -> str:
    """What ``repro twlv evaluate --protocol official`` prints.

    Args:
        embeddings_dir: A release-format folder (the release's ``--embeddings_dir``).
        as_json: JSON ``{"dataset": ..., "official": {...}}`` instead of a table.
        num_classes: Class count (``--num-classes``).
        dataset_name: Or the release's ``--dataset_name`` (``Kinetics400``, ...).
        variant: ``uniform`` or ``multi-clip`` where the folder holds variant folders.
        epochs: The linear probe's epochs (0 keeps the release's 150).
    """
    import json

    import pandas as pd

    from repro.twlv.official import RELEASE, evaluate_official

    try:
        res = evaluate_official(
            embeddings_dir, RELEASE.with_epochs(epochs), num_classes, dataset_name, variant
        )
    except ValueError as err:
        if isinstance(err, io.EmbeddingFormatError):
            raise
        raise io.EmbeddingFormatError(f"{embeddings_dir}: {err}") from err
    if as_json:
        out = {"dataset": str(embeddings_dir), "official": res}
        return json.dumps(out, indent=2, sort_keys=True, default=float)
    rows = [
        {"protocol": f"official knn ({t})", "top1": r["top1"], "seconds": r["seconds"],
         "note": f"bank {r['bank_videos']} videos ({r['left_out']} left out as the release does)"}
        for t, r in res["knn"].items()
    ]  # fmt: skip
    lin = res["linear"]
    rows.append(
        {"protocol": f"official linear ({lin['embed_type']})", "top1": lin["top1"],
         "seconds": lin["seconds"], "note": f"{lin['epochs']} epochs, last-epoch top-1"}
    )  # fmt: skip
    header = (
        f"{embeddings_dir} ({res['folder']}): {res['num_classes']} classes "
        f"({res['classes_from']}), D={res['dim']}, read once in {res['load_seconds']:.1f} s"
    )
    body = pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.2f}")
    return "\n".join([header, body])
