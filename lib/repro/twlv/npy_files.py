"""Reading one ``.npy`` file quickly, with errors that name it.

A release-format split is tens of thousands of tiny ``.npy`` files; ``np.load`` spends most
of its time parsing each header with ``ast.literal_eval``. :func:`read_npy` reads the bytes
once and parses the standard header that ``np.save`` writes with a regular expression,
falling back to ``np.load`` for anything else (Fortran order, structured dtypes, ...), so
every valid file is read and every invalid one is refused as ``np.load`` would refuse it.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np

from repro.twlv.splits import EmbeddingFormatError

_MAGIC = b"\x93NUMPY"
_HEADER = re.compile(
    r"\{'descr': '([<>|=]?[biuf]\d{1,2})', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \}"
)


def _parse(data: bytes) -> np.ndarray | None:
    """The array of a standard C-order header, or None to fall back to ``np.load``."""
    if data[:6] != _MAGIC or len(data) < 10:
        return None
    if data[6] == 1:
        size, start = int.from_bytes(data[8:10], "little"), 10
    elif data[6] in (2, 3):
        size, start = int.from_bytes(data[8:12], "little"), 12
    else:
        return None
    match = _HEADER.fullmatch(data[start : start + size].decode("latin1").strip())
    if match is None:
        return None
    shape = tuple(int(x) for x in match[2].split(",") if x.strip())
    count = math.prod(shape)
    dtype = np.dtype(match[1])
    if len(data) - start - size != count * dtype.itemsize:
        raise ValueError(f"{len(data) - start - size} data bytes for shape {shape} {dtype}")
    return np.frombuffer(data, dtype, count, offset=start + size).reshape(shape)


def read_raw(path: str | Path) -> bytes | OSError:
    """A file's bytes, or the error reading it (the caller words the message)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        return err


def read_npy(path: str | Path, ndims: tuple[int, ...], expected: str) -> np.ndarray:
    """One ``.npy`` of a real dtype, cast to float32, with ``ndim`` in ``ndims``.

    Finiteness is checked by the caller over a whole split (one pass instead of one per file).

    Args:
        path: The file (named in errors).
        ndims: Accepted ranks.
        expected: What the shape should be, for errors.

    Raises:
        EmbeddingFormatError: naming ``path``: missing, unreadable, wrong rank or dtype.
    """
    data = read_raw(path)
    if isinstance(data, FileNotFoundError):
        raise EmbeddingFormatError(f"{path}: missing file, expected it beside the video's json")
    if isinstance(data, OSError):
        raise EmbeddingFormatError(f"{path}: unreadable .npy ({data})")
    try:
        arr = _parse(data)
        if arr is None:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise EmbeddingFormatError(f"{path}: unreadable .npy ({err})") from err
    if not isinstance(arr, np.ndarray):
        raise EmbeddingFormatError(f"{path}: not a single array, expected {expected}")
    if arr.ndim not in ndims:
        raise EmbeddingFormatError(f"{path}: array of shape {arr.shape}, expected {expected}")
    if arr.dtype.kind not in "biuf":
        raise EmbeddingFormatError(f"{path}: dtype {arr.dtype}, expected real numbers")
    return arr.astype(np.float32, copy=False)
