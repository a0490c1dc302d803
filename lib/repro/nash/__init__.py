"""repro.nash: NASH (Ko et al., Findings of EMNLP 2023) reproduced at three tiers."""

import warnings

# tqdm.auto (imported by transformers) warns on stderr when ipywidgets is absent; a book
# page must not show it, and plain-text progress is never drawn by our code anyway.
warnings.filterwarnings("ignore", message="IProgress not found")
