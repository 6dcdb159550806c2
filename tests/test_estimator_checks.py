"""scikit-learn's estimator contract on every estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from shrinkage import ElasticNet, Lasso, LogisticRegression


@parametrize_with_checks([Lasso(), ElasticNet(), LogisticRegression()])
def test_sklearn_contract(estimator, check):
    check(estimator)
