"""The files of a ``shrinkage nn`` experiment: ``results.json``, ``results.md``, figures.

:func:`write_results` fills a folder that :func:`shrinkage._output.staged_folder` gave
(a temporary one, moved into place only when complete): the figures
(:mod:`shrinkage.nn._figures`), every run and the table as compact JSON (floats to six
significant digits, NaN as ``null``), and a Markdown page with the table and the setup.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .._output import jsonable
from .training import DEFAULT_LR, METHODS

if TYPE_CHECKING:  # pragma: no cover
    from .data import Split
    from .experiment import ExperimentResult

__all__ = ["write_results"]

#: Significant digits kept in ``results.json``: the measurements are not finer.
DIGITS = 6


def _compact_json(payload: dict[str, Any]) -> str:
    """One line per top-level key, and per run / table row: small, and diffable."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = []
    for key, value in payload.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = ",\n  ".join(dump(v) for v in value)
            lines.append(f"{dump(key)}:[\n  {items}\n ]")
        else:
            lines.append(f"{dump(key)}:{dump(value)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


def write_results(
    result: ExperimentResult, data: Split, folder: Path, command: str | None = None
) -> None:
    """Write the figures, ``results.json`` and ``results.md`` of ``result`` into ``folder``.

    Parameters
    ----------
    result : ExperimentResult
    data : Split
        The first seed's split (its sizes and, for images, the pixel grid of a figure).
    folder : Path
        An existing folder; files of the same names in it are replaced.
    command : str, optional
        The command line to record.
    """
    from . import _figures

    config = result.config
    figures = _figures.write_all(result, data, folder)
    payload = {
        "config": asdict(config),
        "data": result.data_description,
        "n_constant_features": result.n_constant_features,
        "command": command,
        "table": result.table(),
        "runs": [
            {**r.summary(), "sparsity": r.sparsity.to_dict(), "history": r.history}
            for r in result.runs
        ],
        "figures": figures,
        "versions": {"torch": torch.__version__, "numpy": np.__version__},
    }
    (folder / "results.json").write_text(
        _compact_json(jsonable(payload, digits=DIGITS)), encoding="utf-8"
    )
    lr = config.lr if config.lr is not None else DEFAULT_LR[config.optimizer]
    hidden = "-".join(map(str, config.hidden))
    lines = [
        "# shrinkage nn results",
        "",
        f"Data: {result.data_description}.",
        f"Network: MLP {data.n_features}-{hidden}-{data.n_classes}, {config.activation} "
        f"hidden units, {config.init} initialization; {config.optimizer} lr={lr:g}, batch "
        f"{config.batch_size}, {config.epochs} epochs; seeds {list(config.seeds)}; penalty "
        "strength λ/n on the weights (never the biases).",
        f"Inputs constant on the training rows (dropped by any L1 for free): "
        f"{result.n_constant_features} of {data.n_features}.",
        "",
    ]
    if command:
        lines += ["Command:", "", "```", command, "```", ""]
    lines += [
        result.to_markdown(),
        "",
        "Test accuracy after the last epoch (mean ± sd over seeds); exact zeros over all "
        "weights; hidden units pruned = rows or columns of hidden weights all zero; inputs "
        "pruned = first-layer columns all zero; saturation = fraction of sigmoid/tanh "
        "activations with f'(z)/f'(0) < 0.1 on up to 1000 test rows.",
        "",
        "Methods: " + "; ".join(f"`{m}`: {METHODS[m]}" for m in config.methods) + ".",
        "",
        "Figures: " + ", ".join(f"[{name}]({name})" for name in figures) + ".",
        "",
    ]
    (folder / "results.md").write_text("\n".join(lines), encoding="utf-8")
