"""scikit-learn 1.9 contracts that issue 10 fixed (the peer suite checks the rest)."""

import numpy as np
import pytest
import sklearn
from sklearn import linear_model as sk
from sklearn.metrics import get_scorer, make_scorer, r2_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import shrinkage as sh

# These are scikit-learn 1.9's contracts (and its reference estimators' 1.9 API).
pytestmark = pytest.mark.skipif(
    tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < (1, 9),
    reason="compares with scikit-learn 1.9's behaviour",
)


@pytest.fixture
def regression():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 5))
    y = X @ rng.normal(size=5) + rng.normal(size=60)
    return X, y


@pytest.fixture
def iris():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def test_logisticregressioncv_default_layout_is_sklearns(iris):
    X, y = iris
    kwargs = dict(Cs=3, cv=2, max_iter=1000, tol=1e-8)
    with pytest.warns(FutureWarning):
        ours = sh.LogisticRegressionCV(**kwargs).fit(X, y)
    with pytest.warns(FutureWarning):
        ref = sk.LogisticRegressionCV(**kwargs).fit(X, y)
    assert ours.C_.shape == ref.C_.shape and ours.l1_ratio_.shape == ref.l1_ratio_.shape
    assert ours.n_iter_.shape == ref.n_iter_.shape
    for label in ref.scores_:
        assert ours.scores_[label].shape == ref.scores_[label].shape
        assert ours.coefs_paths_[label].shape == ref.coefs_paths_[label].shape
        # averaging over folds means the same thing in both
        np.testing.assert_allclose(
            ours.scores_[label].mean(axis=0), ref.scores_[label].mean(axis=0)
        )


def test_logisticregressioncv_score_uses_scoring(iris):
    X, y = iris
    model = sh.LogisticRegressionCV(
        Cs=3, cv=2, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False
    ).fit(X, y)
    assert model.score(X, y) == pytest.approx(get_scorer("neg_log_loss")(model, X, y))
    assert model.score(X, y) < 0


def test_elasticnet_penalty_without_l1_ratios_is_an_error(iris):
    X, y = iris
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="l1_ratios must be"):
        sh.LogisticRegressionCV(penalty="elasticnet", l1_ratios=None, solver="saga").fit(X, y)


def test_unknown_fit_keywords_are_refused(regression):
    X, y = regression
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        sh.LassoCV().fit(X, y, sample_wieght=np.ones(len(y)))
    with pytest.raises(TypeError):
        sh.Lasso().fit(X, y, sample_wieght=np.ones(len(y)))


@pytest.mark.parametrize(
    "estimator",
    [
        sh.LassoCV(cv=GroupKFold(3)),
        sh.ElasticNetCV(cv=GroupKFold(3)),
        sh.RidgeCV(cv=GroupKFold(3)),
    ],
)
def test_groups_are_routed_to_the_splitter(regression, estimator):
    X, y = regression
    groups = np.repeat(np.arange(6), 10)
    with sklearn.config_context(enable_metadata_routing=True):
        estimator.fit(X, y, groups=groups)
        # and through a meta-estimator
        search = GridSearchCV(estimator, {"fit_intercept": [True, False]}, cv=2)
        search.fit(X, y, groups=groups)


def test_set_score_request_is_honoured(regression):
    X, y = regression
    w = np.r_[np.full(30, 10.0), np.ones(30)]
    scores = []
    with sklearn.config_context(enable_metadata_routing=True):
        for request in (True, False):
            scorer = get_scorer("r2").set_score_request(sample_weight=request)
            model = sh.RidgeCV(alphas=[0.1, 10.0], scoring=scorer, store_cv_results=True)
            model.set_fit_request(sample_weight=True).fit(X, y, sample_weight=w)
            scores.append(model.best_score_)
    assert scores[0] != scores[1]


def test_ridgecv_multioutput_scorer_sees_2d_y(regression):
    X, y = regression
    Y = np.c_[y, 2 * y]

    def needs_2d(y_true, y_pred):
        assert y_true.ndim == 2 and y_pred.ndim == 2
        return r2_score(y_true, y_pred)

    scorer = make_scorer(needs_2d)
    ours = sh.RidgeCV(alphas=[0.1, 1.0, 10.0], scoring=scorer).fit(X, Y)
    ref = sk.RidgeCV(alphas=[0.1, 1.0, 10.0], scoring=scorer).fit(X, Y)
    assert ours.alpha_ == ref.alpha_
    assert ours.best_score_ == pytest.approx(ref.best_score_)


def test_shapes_match_sklearn(regression):
    X, y = regression
    Y1 = y[:, None]
    for ours, ref in [(sh.Ridge(), sk.Ridge()), (sh.Lasso(alpha=0.1), sk.Lasso(alpha=0.1))]:
        ours.fit(X, Y1)
        ref.fit(X, Y1)
        assert ours.coef_.shape == ref.coef_.shape == (5,)
        assert np.shape(ours.intercept_) == np.shape(ref.intercept_)
    ours = sh.RidgeCV(store_cv_results=True).fit(X, Y1)
    ref = sk.RidgeCV(store_cv_results=True).fit(X, Y1)
    assert ours.cv_results_.shape == ref.cv_results_.shape
    ours = sh.ElasticNetCV(alphas=[0.1, 1.0], l1_ratio=[0.5, 0.9], cv=3).fit(X, y)
    ref = sk.ElasticNetCV(alphas=[0.1, 1.0], l1_ratio=[0.5, 0.9], cv=3).fit(X, y)
    assert ours.alphas_.shape == ref.alphas_.shape


def test_ridgecv_alpha_zero_kfold_and_ties(regression):
    X, y = regression
    model = sh.RidgeCV(alphas=[0.0, 1.0], cv=3).fit(X, y)
    assert model.alpha_ in (0.0, 1.0)
    with pytest.raises(ValueError, match=r"alphas\[0\] == 0.0, must be > 0.0"):
        sh.RidgeCV(alphas=[0.0, 1.0]).fit(X, y)
    # all scores tied: the first alpha, as scikit-learn
    tie = make_scorer(lambda t, p: 0.0)
    assert sh.RidgeCV(alphas=[3.0, 1.0, 2.0], scoring=tie).fit(X, y).alpha_ == 3.0


def test_paths_accept_2d_y_and_n_alphas(regression):
    X, y = regression
    X = X - X.mean(0)
    Y = np.c_[y, y] - y.mean()
    alphas, coefs, gaps = sh.enet_path(X, Y, alphas=5)
    ref_alphas, ref_coefs, _ = sk.enet_path(X, Y, alphas=5, tol=1e-10)
    np.testing.assert_allclose(alphas, ref_alphas)
    np.testing.assert_allclose(coefs, ref_coefs, rtol=1e-3, atol=1e-3)
    with pytest.warns(FutureWarning, match="n_alphas"):
        assert sh.lasso_path(X, y, n_alphas=4)[0].size == 4


def test_errors_and_warnings_like_sklearn(regression):
    X, y = regression
    with pytest.raises(TypeError, match=r"alphas\[1\] must be an instance of float"):
        sh.LassoCV(alphas=[1.0, "a"]).fit(X, y)
    with pytest.raises(ValueError, match="non-finite parameter values"), np.errstate(all="ignore"):
        big = np.finfo(np.float64).max * np.random.RandomState(0).uniform(size=(10, 2))
        sh.ElasticNet(alpha=0.1).fit(big, np.arange(10) % 2)
    with pytest.raises(ValueError, match="only 'lbfgs' solver can be used|does not support"):
        sh.Ridge(positive=True, solver="svd").fit(X, y)
    with pytest.warns(UserWarning, match="did not pass validation|recomputing Gram"):
        sh.ElasticNet(precompute=X.T @ X).fit(X + 1, y)


def test_sparsify_densify(iris):
    X, y = iris
    model = sh.LogisticRegression(l1_ratio=1.0, C=0.1).fit(X, y)
    dense = model.decision_function(X)
    model.sparsify()
    np.testing.assert_allclose(model.decision_function(X), dense)
    model.densify()
    assert isinstance(model.coef_, np.ndarray)


def test_pipeline_clone_gridsearch_with_routing(regression):
    X, y = regression
    w = np.ones(len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            sh.Lasso().set_fit_request(sample_weight=True).set_score_request(sample_weight=True),
        )
        GridSearchCV(pipe, {"lasso__alpha": [0.1, 1.0]}, cv=3).fit(X, y, sample_weight=w)
    sklearn.base.clone(sh.LogisticRegressionCV(Cs=3))
