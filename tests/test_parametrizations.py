"""docs/parametrizations.md, executed: each library's parameters map to ours."""

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.preprocessing import StandardScaler

from shrinkage import ElasticNet, regularization_path
from shrinkage.penalties import ElasticNetPenalty


def test_sklearn_ridge_alpha_is_ours_times_n():
    X, y = load_diabetes(return_X_y=True)
    a = 10.0
    reference = sk.Ridge(alpha=a).fit(X, y)
    ours = regularization_path(X, y, l1_ratio=0.0, alphas=[a / len(y)])
    np.testing.assert_allclose(ours.coefs[:, 0], reference.coef_, rtol=1e-10)
    assert ours.intercepts[0] == pytest.approx(reference.intercept_)


def test_sklearn_C_is_one_over_C_n():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reference = sk.LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(X, y)
    ours = regularization_path(
        X, y, loss="logistic", l1_ratio=0.0, alphas=[1 / (0.5 * len(y))], tol=1e-12
    )
    alpha = 1 / (0.5 * len(y))

    def objective(coef, intercept):  # mean log-loss + α/2‖β‖², written out
        eta = X @ coef + intercept
        return np.mean(np.logaddexp(0, eta) - y * eta) + alpha / 2 * coef @ coef

    ours_value = objective(ours.coefs[:, 0], ours.intercepts[0])
    assert ours_value <= objective(reference.coef_[0], reference.intercept_[0]) + 1e-12
    np.testing.assert_allclose(ours.coefs[:, 0], reference.coef_[0], rtol=1e-4, atol=1e-6)


def test_glmnet_lambda_alpha_objective_is_ours():
    # glmnet's gaussian objective written out, minimized by our ElasticNet(alpha=λ, ρ=α).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6))
    y = X @ rng.normal(size=6) + rng.normal(size=80)
    lam, mix = 0.05, 0.3
    model = ElasticNet(alpha=lam, l1_ratio=mix, fit_intercept=False, tol=1e-12).fit(X, y)

    def glmnet_objective(beta):
        return np.sum((y - X @ beta) ** 2) / (2 * len(y)) + lam * (
            (1 - mix) / 2 * beta @ beta + mix * np.abs(beta).sum()
        )

    best = glmnet_objective(model.coef_)
    for _ in range(200):  # no nearby point does better
        assert glmnet_objective(model.coef_ + 1e-4 * rng.normal(size=6)) >= best - 1e-12


def test_nielsen_lambda_over_n():
    # λ/(2n) Σw² (L2) and λ/n Σ|w| (L1) are our penalty at α = λ/n.
    w = np.random.default_rng(1).normal(size=20)
    lam, n = 5.0, 50_000
    l2 = ElasticNetPenalty(alpha=lam / n, l1_ratio=0.0)
    l1 = ElasticNetPenalty(alpha=lam / n, l1_ratio=1.0)
    assert l2.value(w) == pytest.approx(lam / (2 * n) * np.sum(w**2))
    assert l1.value(w) == pytest.approx(lam / n * np.sum(np.abs(w)))


def test_glmnet_elastic_net_with_its_internal_y_scaling():
    # glmnet's Gaussian procedure: divide y and lambda by s = sd(y), solve, scale back.
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 5))
    y = 3 * X @ rng.normal(size=5) + rng.normal(size=100)
    X, y = X - X.mean(0), y - y.mean()
    mix, lam, s = 0.3, 0.05, y.std()
    glmnet_way = ElasticNet(alpha=lam / s, l1_ratio=mix, fit_intercept=False, tol=1e-14)
    expected = glmnet_way.fit(X, y / s).coef_ * s
    mapped = ElasticNet(
        alpha=lam * (mix + (1 - mix) / s),
        l1_ratio=mix / (mix + (1 - mix) / s),
        fit_intercept=False,
        tol=1e-14,
    ).fit(X, y)
    np.testing.assert_allclose(mapped.coef_, expected, atol=1e-10)
