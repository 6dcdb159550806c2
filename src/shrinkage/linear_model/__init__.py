"""scikit-learn estimators: drop-in replacements with penalty factors.

The names load lazily (PEP 562): ``from shrinkage.linear_model import Lasso`` imports the
lasso's modules only, not the GLM, Cox, logistic or multi-task ones -- the first fit in a
new process pays for what it uses.
"""

from importlib import import_module

_EXPORTS = {
    "CoxPH": "._cox",
    "CoxPHCV": "._cox",
    "ElasticNet": "._coordinate_descent",
    "ElasticNetCV": "._elastic_net_cv",
    "ElasticNetIC": "._information_criteria",
    "GammaRegressor": "._glm",
    "GammaRegressorCV": "._glm_cv",
    "Lasso": "._coordinate_descent",
    "LassoCV": "._elastic_net_cv",
    "LassoIC": "._information_criteria",
    "LogisticRegression": "._logistic",
    "LogisticRegressionCV": "._logistic_cv",
    "MultiTaskElasticNet": "._multitask",
    "MultiTaskElasticNetCV": "._multitask",
    "MultiTaskLasso": "._multitask",
    "MultiTaskLassoCV": "._multitask",
    "PoissonRegressor": "._glm",
    "PoissonRegressorCV": "._glm_cv",
    "RelaxedLasso": "._relaxed",
    "RelaxedLassoCV": "._relaxed",
    "Ridge": "._ridge",
    "RidgeCV": "._ridge",
    "elastic_net_alpha_grid": "._cv",
    "TweedieRegressor": "._glm",
    "TweedieRegressorCV": "._glm_cv",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
