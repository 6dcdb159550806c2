"""Progress of a ``shrinkage nn`` experiment, on stderr: a tqdm bar, or a line per run.

The bar counts epochs over all runs; without tqdm, each finished run prints its test
accuracy and exact-zero fraction. Nothing is shown when disabled (``--quiet``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .training import RunResult

__all__ = ["Progress"]


class Progress:
    """tqdm if installed (on stderr), else one printed line per finished run."""

    def __init__(self, total_epochs: int, n_runs: int, enabled: bool) -> None:
        self.enabled, self.n_runs, self.done = enabled, n_runs, 0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total_epochs, unit="epoch", file=sys.stderr, leave=False)

    def start(self, label: str) -> None:
        if self.bar is not None:
            self.bar.set_description(label)

    def epoch(self, _epoch: int) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def finished(self, label: str, run: RunResult) -> None:
        self.done += 1
        if self.enabled and self.bar is None:
            print(
                f"[{self.done}/{self.n_runs}] {label}: test accuracy {run.test_accuracy:.3f}, "
                f"exact zeros {run.sparsity.zero_fraction:.1%} ({run.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
