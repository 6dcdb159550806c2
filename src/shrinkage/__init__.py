"""shrinkage: L1 (lasso), L2 (ridge) and elastic-net regularized learning.

The public names load lazily, so ``import shrinkage`` stays cheap and nothing is
compiled until a model is fitted.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "Lasso": "shrinkage.linear_model",
    "ElasticNet": "shrinkage.linear_model",
    "LogisticRegression": "shrinkage.linear_model",
    "Ridge": "shrinkage.linear_model",
    "RidgeCV": "shrinkage.linear_model",
    "LassoCV": "shrinkage.linear_model",
    "ElasticNetCV": "shrinkage.linear_model",
    "LogisticRegressionCV": "shrinkage.linear_model",
    "LassoIC": "shrinkage.linear_model",
    "ElasticNetIC": "shrinkage.linear_model",
    "RelaxedLasso": "shrinkage.linear_model",
    "RelaxedLassoCV": "shrinkage.linear_model",
    "MultiTaskLasso": "shrinkage.linear_model",
    "MultiTaskElasticNet": "shrinkage.linear_model",
    "MultiTaskLassoCV": "shrinkage.linear_model",
    "MultiTaskElasticNetCV": "shrinkage.linear_model",
    "CoxPH": "shrinkage.linear_model",
    "CoxPHCV": "shrinkage.linear_model",
    "PoissonRegressor": "shrinkage.linear_model",
    "PoissonRegressorCV": "shrinkage.linear_model",
    "GammaRegressor": "shrinkage.linear_model",
    "GammaRegressorCV": "shrinkage.linear_model",
    "TweedieRegressor": "shrinkage.linear_model",
    "TweedieRegressorCV": "shrinkage.linear_model",
    "plot_path": "shrinkage.plotting",
    "plot_paths": "shrinkage.plotting",
    "plot_cv_curve": "shrinkage.plotting",
    "CVCurve": "shrinkage.selection",
    "one_standard_error_rule": "shrinkage.selection",
    "lasso_path": "shrinkage.path",
    "enet_path": "shrinkage.path",
    "regularization_path": "shrinkage.path",
    "alpha_grid": "shrinkage.path",
    "PathResult": "shrinkage.path",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'shrinkage' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
