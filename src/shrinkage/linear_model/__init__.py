"""scikit-learn estimators: drop-in replacements with penalty factors."""

from ._coordinate_descent import ElasticNet, Lasso
from ._elastic_net_cv import ElasticNetCV, LassoCV
from ._glm import GammaRegressor, PoissonRegressor, TweedieRegressor
from ._glm_cv import GammaRegressorCV, PoissonRegressorCV, TweedieRegressorCV
from ._information_criteria import ElasticNetIC, LassoIC
from ._logistic import LogisticRegression
from ._logistic_cv import LogisticRegressionCV
from ._relaxed import RelaxedLasso, RelaxedLassoCV
from ._ridge import Ridge, RidgeCV

__all__ = [
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
    "PoissonRegressor",
    "PoissonRegressorCV",
    "RelaxedLasso",
    "RelaxedLassoCV",
    "Ridge",
    "RidgeCV",
    "TweedieRegressor",
    "TweedieRegressorCV",
]
