"""repro.pipeline."""
