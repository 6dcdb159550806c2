"""scikit-learn estimators: drop-in replacements with penalty factors."""

from ._coordinate_descent import ElasticNet, Lasso
from ._cox import CoxPH, CoxPHCV
from ._cv import elastic_net_alpha_grid
from ._elastic_net_cv import ElasticNetCV, LassoCV
from ._glm import GammaRegressor, PoissonRegressor, TweedieRegressor
from ._glm_cv import GammaRegressorCV, PoissonRegressorCV, TweedieRegressorCV
from ._information_criteria import ElasticNetIC, LassoIC
from ._logistic import LogisticRegression
from ._logistic_cv import LogisticRegressionCV
from ._multitask import (
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
)
from ._relaxed import RelaxedLasso, RelaxedLassoCV
from ._ridge import Ridge, RidgeCV

__all__ = [
    "CoxPH",
    "CoxPHCV",
    "ElasticNet",
    "ElasticNetCV",
    "ElasticNetIC",
    "GammaRegressor",
    "GammaRegressorCV",
    "Lasso",
    "LassoCV",
    "LassoIC",
    "LogisticRegression",
    "LogisticRegressionCV",
    "MultiTaskElasticNet",
    "MultiTaskElasticNetCV",
    "MultiTaskLasso",
    "MultiTaskLassoCV",
    "PoissonRegressor",
    "PoissonRegressorCV",
    "RelaxedLasso",
    "RelaxedLassoCV",
    "Ridge",
    "RidgeCV",
    "elastic_net_alpha_grid",
    "TweedieRegressor",
    "TweedieRegressorCV",
]
