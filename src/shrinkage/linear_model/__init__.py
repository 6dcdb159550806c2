"""scikit-learn estimators: drop-in replacements with penalty factors."""

from ._coordinate_descent import ElasticNet, Lasso
from ._logistic import LogisticRegression

__all__ = ["ElasticNet", "Lasso", "LogisticRegression"]
