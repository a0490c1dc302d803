"""repro.crild."""
