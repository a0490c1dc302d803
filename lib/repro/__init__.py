"""Reproducibility package for TWLV-I, NASH and CR-ILD."""

__version__ = "0.1.0"
