"""``shrinkage compare``: L1, L2 and elastic net fitted with CV on the user's data, and the
report of why they differ (:func:`shrinkage.explain.compare` does the measuring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import _inputs, _read, _table_format


def _read_compare(args):
    """compare's data: a survival target (``--time``/``--event``), counts (``--task
    poisson``, or guessed: :mod:`shrinkage.explain.counts`), or what ``_read`` gives."""
    from ..datasets import BUNDLED
    from ..explain.counts import as_counts
    from ..explain.survival import read_survival

    if args.time or args.event:
        if not (args.time and args.event):
            raise ValueError("--time and --event go together: name both columns.")
        if args.target or args.task != "auto":
            raise ValueError("--time/--event are the survival target; drop --target and --task.")
        return read_survival(
            args.data,
            args.time,
            args.event,
            drop_missing=args.drop_missing,
            max_levels=args.max_levels,
            drop_columns=args.drop.split(","),
            table_format=_table_format(args),
        )
    # The notes of the task guess are printed together below, not by _read.
    data = _read(args, multiclass=True, task="regression" if args.task == "poisson" else args.task)
    bundled = args.data in BUNDLED and not Path(args.data).exists()  # its task is known
    data, notes = as_counts(data, args.task, guess=not bundled)
    if "Note: " in data.description:
        notes.insert(0, data.description.split("Note: ", 1)[1])
    for note in notes:
        print(f"shrinkage: note: {note}", file=sys.stderr)
    return data


def cmd_compare(args: argparse.Namespace) -> int:
    """Fit L1, L2 and elastic net with CV on your data and measure why they differ."""
    from .._output import CLI, check_target, spoken_as
    from ..explain import compare
    from ..explain.report import terminal_table

    with spoken_as(CLI):  # messages name --out and --force, not compare's out=, force=
        check_target(Path(args.out), args.force, inputs=_inputs(args.data), folder=True)
        data = _read_compare(args)
        summary = compare(
            data,
            args.out,
            cv=args.cv,
            test_size=args.test_size,
            seed=args.seed,
            force=args.force,
            progress=not args.quiet,
            repeats=args.repeats,
            bootstrap=args.bootstrap,
            subsamples=args.subsamples,
            n_jobs=args.n_jobs,
        )
    print(terminal_table(summary))
    print()
    for line in summary["recommendation"]:
        print(f"- {line}")
    print(f"\nReport: {Path(args.out) / 'report.html'}  (numbers: summary.json)")
    return 0
