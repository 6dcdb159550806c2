"""PyTorch regularizers: L1, L2, elastic net and group L1, with proximal updates.

Needs PyTorch (``pip install "shrinkage[torch]"``). The names load lazily, so
``import shrinkage.nn.command`` (the CLI wiring) never imports torch.

>>> from shrinkage.nn import L1, Proximal                       # doctest: +SKIP
>>> penalty = L1(model, alpha=1e-4)          # the weights of Linear / Conv layers
>>> optimizer = Proximal(torch.optim.Adam(model.parameters(), lr=1e-3), penalty)
>>> loss = criterion(model(x), y)            # no penalty in the loss: the prox applies it
>>> loss.backward(); optimizer.step()        # Adam step, then exact zeros

See ``docs/nn.md``. The modules, one job each:

=============== ==========================================================================
``selection``   which parameters a penalty acts on (weights, never biases or norms)
``prox``        the proximal kernels: soft-thresholding, L2 shrink, group soft-thresholding
``penalties``   the penalty classes: value and proximal map (L1, L2, ElasticNet, GroupL1)
``step_rules``  the step an optimizer took, per coordinate (SGD, Adam, RMSprop, ...)
``proximal``    ``Proximal``: an optimizer step, then the proximal maps
``adam_prox``   ``Proximal``'s fast path for Adam: the prox reuses Adam's denominator
``reports``     sparsity, saturation and their history over epochs
``histograms``  weight histograms (matplotlib)
``data``        the data sets of ``shrinkage nn`` (NumPy only)
``mlp``         the network of ``shrinkage nn``
``training``    one training run (one method, λ, seed)
``experiment``  the grid of runs and its table
``progress``    the progress display
``results``     the files of an experiment (``_figures``: its figures)
``command``     the ``shrinkage nn`` command line (imports no torch)
=============== ==========================================================================
"""

from importlib import import_module

_EXPORTS = {
    "Penalty": "shrinkage.nn.penalties",
    "L1": "shrinkage.nn.penalties",
    "L2": "shrinkage.nn.penalties",
    "ElasticNet": "shrinkage.nn.penalties",
    "GroupL1": "shrinkage.nn.penalties",
    "PenalizedParameter": "shrinkage.nn.selection",
    "default_include": "shrinkage.nn.selection",
    "select_parameters": "shrinkage.nn.selection",
    "soft_threshold": "shrinkage.nn.prox",
    "group_soft_threshold": "shrinkage.nn.prox",
    "Proximal": "shrinkage.nn.proximal",
    "step_size_rule": "shrinkage.nn.step_rules",
    "sparsity": "shrinkage.nn.reports",
    "SparsityReport": "shrinkage.nn.reports",
    "LayerSparsity": "shrinkage.nn.reports",
    "saturation": "shrinkage.nn.reports",
    "TrainingHistory": "shrinkage.nn.reports",
    "plot_weight_histograms": "shrinkage.nn.histograms",
    "train": "shrinkage.nn.training",
    "run_experiment": "shrinkage.nn.experiment",
    "build_mlp": "shrinkage.nn.mlp",
    "plot_weight_histogram": "shrinkage.nn.histograms",
    "saturation_by_layer": "shrinkage.nn.reports",
    "Split": "shrinkage.nn.data",
    "ExperimentConfig": "shrinkage.nn.experiment",
    "load_digits_split": "shrinkage.nn.data",
    "load_fashion_mnist": "shrinkage.nn.data",
    "load_csv": "shrinkage.nn.data",
    "read_idx": "shrinkage.nn.data",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'shrinkage.nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
