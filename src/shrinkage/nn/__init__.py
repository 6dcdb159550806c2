"""PyTorch regularizers: L1, L2, elastic net and group L1, with proximal updates.

Needs PyTorch (``pip install "shrinkage[torch]"``). The names load lazily, so
``import shrinkage.nn.command`` (the CLI wiring) never imports torch.

>>> from shrinkage.nn import L1, Proximal                       # doctest: +SKIP
>>> penalty = L1(model, alpha=1e-4)          # the weights of Linear / Conv layers
>>> optimizer = Proximal(torch.optim.Adam(model.parameters(), lr=1e-3), penalty)
>>> loss = criterion(model(x), y)            # no penalty in the loss: the prox applies it
>>> loss.backward(); optimizer.step()        # Adam step, then exact zeros

See ``docs/nn.md``.
"""

from importlib import import_module

_EXPORTS = {
    "Penalty": "shrinkage.nn.penalties",
    "L1": "shrinkage.nn.penalties",
    "L2": "shrinkage.nn.penalties",
    "ElasticNet": "shrinkage.nn.penalties",
    "GroupL1": "shrinkage.nn.penalties",
    "PenalizedParameter": "shrinkage.nn.penalties",
    "default_include": "shrinkage.nn.penalties",
    "select_parameters": "shrinkage.nn.penalties",
    "soft_threshold": "shrinkage.nn.penalties",
    "group_soft_threshold": "shrinkage.nn.penalties",
    "Proximal": "shrinkage.nn.proximal",
    "step_size_rule": "shrinkage.nn.proximal",
    "sparsity": "shrinkage.nn.reports",
    "SparsityReport": "shrinkage.nn.reports",
    "LayerSparsity": "shrinkage.nn.reports",
    "saturation": "shrinkage.nn.reports",
    "TrainingHistory": "shrinkage.nn.reports",
    "plot_weight_histograms": "shrinkage.nn.reports",
    "train": "shrinkage.nn.training",
    "run_experiment": "shrinkage.nn.training",
    "build_mlp": "shrinkage.nn.training",
    "plot_weight_histogram": "shrinkage.nn.reports",
    "saturation_by_layer": "shrinkage.nn.reports",
    "Split": "shrinkage.nn.data",
    "ExperimentConfig": "shrinkage.nn.training",
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
