"""repro.nash: NASH (Ko et al., Findings of EMNLP 2023) reproduced at three tiers."""

import warnings

# tqdm.auto (imported by transformers) warns on stderr when ipywidgets is absent; a book
# page must not show it, and plain-text progress is never drawn by our code anyway.
warnings.filterwarnings("ignore", message="IProgress not found")


def __getattr__(name: str):
    """``repro.nash.load_pruned`` without importing torch when the package is imported."""
    if name in ("load_pruned", "save_pruned"):
        from repro.nash import export

        return getattr(export, name)
    raise AttributeError(f"module 'repro.nash' has no attribute {name!r}")
