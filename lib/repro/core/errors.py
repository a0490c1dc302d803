"""The one base class for bad input, so that every command reports it the same way."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user: a profile, parameter, manifest or data file.

    The message names the file (and line or field where there is one) and what was
    expected; the ``repro`` command prints it as one line and exits with status 2.
    """
