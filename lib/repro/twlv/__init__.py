"""repro.twlv."""
