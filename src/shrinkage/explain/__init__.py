"""Explain L1 against L2 on the user's data: measurements, figures, report."""

from .compare import compare

__all__ = ["compare"]
