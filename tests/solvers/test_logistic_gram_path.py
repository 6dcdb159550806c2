"""The procedure's logistic path (``solvers/logistic_gram_path.py``) against independent
references: scikit-learn's ``LogisticRegression`` (ridge), the KKT conditions of the
penalized objective written out here (lasso, elastic net), row weights as duplicated
rows, and scikit-learn's ``roc_auc_score`` for the weighted AUC."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from shrinkage.solvers.logistic_gram_path import logistic_path, null_gradient_norm


def _data(n=400, p=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 1] = X[:, 0] + 0.3 * rng.normal(size=n)  # correlated pair
    beta = np.r_[1.0, -0.5, 0.8, np.zeros(p - 3)]
    y = (X @ beta + rng.logistic(size=n) > 0).astype(float)
    w = rng.integers(1, 4, n).astype(float)  # bootstrap-like counts
    return (X - X.mean(0)) / X.std(0), y, w


def _kkt(Z, y, w, b0, b, alpha, ratio):
    """Largest KKT violation of mean-loss logistic + α(ρ|b|₁ + (1−ρ)/2|b|²), from the
    gradient computed here."""
    h = w / w.sum()
    mu = 1 / (1 + np.exp(-(b0 + Z @ b)))
    g = Z.T @ (h * (y - mu)) - alpha * (1 - ratio) * b  # −∇ of the smooth part
    l1 = alpha * ratio
    zero = b == 0
    worst = np.max(np.abs(g[~zero] - l1 * np.sign(b[~zero])), initial=0.0)
    worst = max(worst, np.max(np.abs(g[zero]) - l1, initial=0.0))
    return max(worst, abs(h @ (y - mu)))


def test_ridge_matches_scikit_learn():
    Z, y, w = _data()
    alphas = np.geomspace(0.5, 1e-3, 3)
    res = logistic_path(Z, y, w, alphas, 0.0, tol=1e-9)
    for k, alpha in enumerate(alphas):
        # scikit-learn: C·Σwℓ + ½|b|² ⇔ Σhℓ + α/2|b|² with α = 1/(C·Σw)
        sk = SkLogisticRegression(C=1 / (alpha * w.sum()), tol=1e-12, max_iter=10_000)
        sk.fit(Z, y, sample_weight=w)
        np.testing.assert_allclose(res.coefs[:, k], sk.coef_[0], atol=2e-6)
        assert res.intercepts[k] == pytest.approx(sk.intercept_[0], abs=2e-6)
    assert res.converged.all()


@pytest.mark.parametrize("ratio", [1.0, 0.5])
def test_lasso_and_elastic_net_meet_the_kkt_conditions(ratio):
    Z, y, w = _data(seed=1)
    top = null_gradient_norm(Z, y, w) / ratio
    alphas = np.geomspace(top, top * 1e-3, 12)
    tol = 1e-6
    res = logistic_path(Z, y, w, alphas, ratio, tol=tol)
    assert res.converged.all()
    assert not res.coefs[:, 0].any()  # α_max: every weight exactly zero
    for k, alpha in enumerate(alphas):
        violation = _kkt(Z, y, w, res.intercepts[k], res.coefs[:, k], alpha, ratio)
        assert violation <= tol * null_gradient_norm(Z, y, w) * (1 + 1e-9)
    assert np.count_nonzero(res.coefs[:, -1]) > np.count_nonzero(res.coefs[:, 3])


def test_weights_are_duplicated_rows():
    Z, y, w = _data(n=150, seed=2)
    alphas = np.geomspace(0.05, 0.005, 4)
    weighted = logistic_path(Z, y, w, alphas, 0.5, tol=1e-10)
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    copied = logistic_path(Z[rows], y[rows], np.ones(rows.size), alphas, 0.5, tol=1e-10)
    np.testing.assert_allclose(weighted.coefs, copied.coefs, atol=1e-7)
    np.testing.assert_allclose(weighted.intercepts, copied.intercepts, atol=1e-7)


def test_one_class_is_refused():
    Z, y, w = _data(n=50)
    with pytest.raises(ValueError, match="both classes"):
        logistic_path(Z, np.ones(50), w, np.array([0.1]), 1.0)


def test_single_precision_products_are_double_products_of_the_rounded_design():
    """``Z̃ᵀr`` and ``Z̃b`` with ``Z̃ = fl32(Z)``, against NumPy's double products on
    ``Z̃`` (exact products of single by double, summed in double); zero ``b_j`` skipped."""
    from shrinkage.solvers.logistic_gram_path import _product, _t_product

    rng = np.random.default_rng(3)
    Z = rng.normal(size=(300, 7)) * 1e3
    Zs = np.asfortranarray(Z.astype(np.float32))
    reference = Zs.astype(np.float64)
    r, b = rng.normal(size=300), np.r_[0.0, rng.normal(size=3), 0.0, 0.0, 2.0]
    out_t, out = np.empty(7), np.empty(300)
    _t_product(Zs, r, out_t)
    _product(Zs, b, out)
    np.testing.assert_allclose(out_t, reference.T @ r, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(out, reference @ b, rtol=1e-12, atol=1e-9)


def test_evaluate_matches_the_logistic_loss_and_its_derivative():
    """``F = Σh(log(1 + e^η) − yη)`` and ``d = σ(η) − y`` against SciPy's ``expit`` and
    NumPy's ``logaddexp``, across ``|η|`` up to 800 (no overflow)."""
    from scipy.special import expit

    from shrinkage.solvers.logistic_gram_path import _evaluate

    rng = np.random.default_rng(4)
    eta = np.r_[rng.normal(size=200) * 5, -800.0, 800.0, 0.0]
    y = (rng.random(eta.size) < 0.5).astype(float)
    h = rng.random(eta.size)
    h /= h.sum()
    F, d = _evaluate(y, h, eta)
    np.testing.assert_allclose(F, h @ (np.logaddexp(0.0, eta) - y * eta), rtol=1e-13)
    np.testing.assert_allclose(d, expit(eta) - y, rtol=1e-13, atol=1e-15)
