"""repro.nash."""
