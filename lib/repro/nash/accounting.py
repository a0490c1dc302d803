"""Accounting tables: exact arithmetic next to the parameter counts of real pruned models.

Real models are instantiated on PyTorch's ``meta`` device: shapes and parameter
counts are exact but no memory is allocated, so T5-large costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from repro.nash.arch import count_parameters, random_t5, t5_config
from repro.nash.latency import narrowed_model
from repro.nash.layers import LayerSelection, select_decoder_layers
from repro.nash.sparsity import accounting_row


def params_report(arch: str, decoder_layers: int, encoder_sparsity: float) -> dict:
    """Counts of the full and the NASH-pruned model of ``arch`` next to the arithmetic.

    Returns:
        Dict with ``decoder_layers_kept``, achieved ``encoder_sparsity`` and
        ``overall_sparsity``, ``full`` and ``pruned`` (per-part counts of the
        instantiated models) and ``arithmetic_total_pruned``.
    """
    cfg = t5_config(arch)
    with torch.device("meta"):
        full = random_t5(cfg)
    k = None if decoder_layers == cfg.num_decoder_layers else decoder_layers
    pruned = narrowed_model(full, encoder_sparsity, k)
    row = accounting_row(cfg, encoder_sparsity, decoder_layers)
    return {
        "arch": arch,
        "decoder_layers": decoder_layers,
        "decoder_layers_kept": select_decoder_layers(cfg.num_decoder_layers, decoder_layers),
        "encoder_sparsity_target": encoder_sparsity,
        "encoder_sparsity": row["encoder_sparsity"],
        "overall_sparsity": row["overall_sparsity"],
        "full": count_parameters(full),
        "pruned": count_parameters(pruned),
        "arithmetic_total_pruned": row["total_params_pruned"],
    }


def accounting_table(
    archs: Sequence[str],
    encoder_sparsities: Sequence[float],
    decoder_layers: Sequence[int],
    check_with_models: bool = True,
) -> pd.DataFrame:
    """One row per (arch, s, k): arithmetic sizes and, optionally, the instantiated model's count.

    ``k = 0`` or ``k`` >= the decoder depth means the full decoder. Duplicate
    (arch, s, k) rows are dropped.
    """
    rows = []
    for arch in archs:
        cfg = t5_config(arch)
        depth = cfg.num_decoder_layers
        ks = sorted({depth if k <= 0 or k >= depth else k for k in decoder_layers}, reverse=True)
        for s in encoder_sparsities:
            for k in ks:
                row = {"arch": arch, **accounting_row(cfg, s, k)}
                row["decoder_layers_kept"] = str(select_decoder_layers(depth, k))
                if check_with_models:
                    counted = params_report(arch, k, s)["pruned"]["total"]
                    row["total_params_instantiated"] = counted
                    row["match"] = counted == row["total_params_pruned"]
                rows.append(row)
    return pd.DataFrame(rows)


def selection_table(archs: Sequence[str], decoder_layers: Sequence[int]) -> pd.DataFrame:
    """Kept decoder blocks for every arch, k and selection mode (uniform, low, high)."""
    rows = []
    for arch in archs:
        depth = t5_config(arch).num_decoder_layers
        for k in sorted({k for k in decoder_layers if 1 <= k <= depth}, reverse=True):
            row = {"arch": arch, "decoder_layers": k}
            for mode in LayerSelection:
                row[mode.value] = str(select_decoder_layers(depth, k, mode))
            rows.append(row)
    return pd.DataFrame(rows)


def example_row(
    table: pd.DataFrame, arch: str = "t5-base", encoder_sparsity: float = 0.3, k: int = 3
) -> dict:
    """One row of :func:`accounting_table` for the page's worked example, with shares added.

    The README's example NASH(s = 0.3, k = 3) on T5-base when the table holds it, else the
    first row that both narrows the encoder and shortens the decoder (else the last row).

    Returns:
        The row plus ``prunable_kept`` and ``decoder_share_removed`` (fraction of the
        removed prunable parameters that came from the decoder).
    """
    from repro.nash.sparsity import encoder_prunable

    pick = table[
        (table.arch == arch)
        & (table.encoder_sparsity_target == encoder_sparsity)
        & (table.decoder_layers == k)
    ]
    if pick.empty:
        depth = table.arch.map(lambda a: t5_config(a).num_decoder_layers)
        pick = table[(table.encoder_sparsity_target > 0) & (table.decoder_layers < depth)]
    row = (pick if len(pick) else table).iloc[0].to_dict()
    kept = row["encoder_prunable_kept"] + row["decoder_prunable_kept"]
    enc_removed = encoder_prunable(t5_config(row["arch"])) - row["encoder_prunable_kept"]
    removed = row["prunable_full"] - kept
    row["prunable_kept"] = kept
    row["decoder_share_removed"] = (removed - enc_removed) / removed if removed else 0.0
    return row
