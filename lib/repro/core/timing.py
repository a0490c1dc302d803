"""The one latency utility of the package: warm-up, synchronised repeats, median and IQR.

Every benchmark and latency notebook times code through :func:`time_callable`
(one configuration) or :func:`time_interleaved` (several configurations measured
round-robin, so that drift on a shared machine hits all of them alike). Times are
wall-clock ``time.perf_counter`` intervals; on CUDA a synchronisation runs before
the clock starts and before it stops, so queued kernels are counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def cuda_sync_if_available() -> Callable[[], None] | None:
    """Return ``torch.cuda.synchronize`` when CUDA is usable, else ``None``."""
    try:
        import torch
    except ImportError:  # torch is optional for pure-Python timings
        return None
    return torch.cuda.synchronize if torch.cuda.is_available() else None


def summarize_ms(samples_ms: Sequence[float]) -> dict[str, Any]:
    """Median, interquartile range and extremes of a list of times.

    Args:
        samples_ms: ``float[n]`` times in milliseconds, n >= 1.

    Returns:
        Dict with ``median_ms``, ``iqr_ms`` (q75 - q25), ``q25_ms``, ``q75_ms``,
        ``min_ms``, ``max_ms``, ``mean_ms``, ``repeats`` and ``samples_ms`` (a list).

    Raises:
        ValueError: if ``samples_ms`` is empty or holds a negative or non-finite value.
    """
    arr = np.asarray(list(samples_ms), dtype=float)
    if arr.size == 0:
        raise ValueError("summarize_ms: samples_ms is empty; expected at least one time")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"summarize_ms: samples_ms must be finite and >= 0, got {arr.tolist()}")
    q25, med, q75 = np.percentile(arr, [25, 50, 75])
    return {
        "median_ms": float(med),
        "iqr_ms": float(q75 - q25),
        "q25_ms": float(q25),
        "q75_ms": float(q75),
        "min_ms": float(arr.min()),
        "max_ms": float(arr.max()),
        "mean_ms": float(arr.mean()),
        "repeats": int(arr.size),
        "samples_ms": arr.tolist(),
    }


def _timed_once(fn: Callable[[], Any], sync: Callable[[], None] | None) -> float:
    if sync is not None:
        sync()
    start = time.perf_counter()
    fn()
    if sync is not None:
        sync()
    return (time.perf_counter() - start) * 1000.0


def _check_counts(warmup: int, repeats: int) -> None:
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")


def time_callable(
    fn: Callable[[], Any],
    *,
    warmup: int = 1,
    repeats: int = 5,
    sync: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Time ``fn()`` after ``warmup`` untimed calls.

    Args:
        fn: The zero-argument callable to time (its result is discarded).
        warmup: Untimed calls made first (burn-in: allocation, caches, lazy init).
        repeats: Timed calls.
        sync: Called before starting and before stopping the clock, e.g.
            ``torch.cuda.synchronize`` (see :func:`cuda_sync_if_available`).

    Returns:
        :func:`summarize_ms` of the ``repeats`` timed calls.
    """
    _check_counts(warmup, repeats)
    for _ in range(warmup):
        fn()
    return summarize_ms([_timed_once(fn, sync) for _ in range(repeats)])


def time_interleaved(
    fns: Mapping[str, Callable[[], Any]],
    *,
    warmup: int = 1,
    repeats: int = 5,
    sync: Callable[[], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Time several configurations round-robin: A B C, A B C, ...

    Interleaving spreads slow phases of a shared machine over all configurations,
    so their ratios are fairer than those of back-to-back blocks of repeats.

    Args:
        fns: Configuration name -> zero-argument callable.
        warmup: Untimed rounds over all configurations before timing.
        repeats: Timed rounds.
        sync: As in :func:`time_callable`.

    Returns:
        Configuration name -> :func:`summarize_ms` dict.
    """
    _check_counts(warmup, repeats)
    if not fns:
        raise ValueError("time_interleaved: fns is empty; expected at least one configuration")
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for round_idx in range(repeats):
        for name, fn in fns.items():
            samples[name].append(_timed_once(fn, sync))
        log.debug("time_interleaved: round %d/%d done", round_idx + 1, repeats)
    return {name: summarize_ms(times) for name, times in samples.items()}


def speedups(results: Mapping[str, Mapping[str, Any]], reference: str) -> dict[str, float]:
    """Median-time ratios ``reference / configuration`` (> 1 means faster than the reference).

    Raises:
        KeyError: if ``reference`` is not one of the configurations.
    """
    if reference not in results:
        raise KeyError(f"speedups: reference {reference!r} not in {sorted(results)}")
    ref = results[reference]["median_ms"]
    return {name: float(ref / res["median_ms"]) for name, res in results.items()}
