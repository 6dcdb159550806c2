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


@pytest.mark.parametrize("moved", [2, 7])  # the gathered (few δ_j ≠ 0) and dense products
def test_single_precision_products_are_double_products_of_the_rounded_design(moved):
    """``Z̃δ + δ_0`` and ``−Z̃ᵀr`` with ``Z̃ = fl32(Z)`` (rows contiguous), against
    NumPy's double products on ``Z̃`` (exact products of single by double, summed in
    double)."""
    from shrinkage.solvers._logistic_kernels import product, t_product

    rng = np.random.default_rng(3)
    Z = rng.normal(size=(300, 40)) * 1e3
    Zr = np.ascontiguousarray(Z.astype(np.float32))
    reference = Zr.astype(np.float64)
    r, b = rng.normal(size=300), np.zeros(40)
    b[rng.choice(40, moved, replace=False)] = rng.normal(size=moved)
    out_t, out = np.empty(40), np.empty(300)
    t_product(Zr, r, out_t)
    product(Zr, b, 0.5, out)
    np.testing.assert_allclose(out_t, -(reference.T @ r), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(out, reference @ b + 0.5, rtol=1e-12, atol=1e-9)


def test_exp_and_log1p_polynomials_are_within_two_ulp():
    """The vectorizable ``e^{−a}`` and ``log(1 + e)`` against NumPy's libm ones, over
    the whole range the loss uses (``a`` up to 800: 0 past ``e^{−708}``)."""
    from numba import njit

    from shrinkage.solvers._logistic_kernels import exp_neg, log1p_unit

    @njit
    def both(a, e, out_exp, out_log):
        for i in range(a.size):
            out_exp[i] = exp_neg(a[i])
            out_log[i] = log1p_unit(e[i])

    rng = np.random.default_rng(5)
    a = np.r_[np.abs(rng.normal(size=20_000)) * 30, np.linspace(0, 800, 20_001), 1e-300]
    e = np.r_[rng.random(20_000), np.geomspace(1e-300, 1, 20_001), 1.0]
    out_exp, out_log = np.empty_like(a), np.empty_like(e)
    both(a, e, out_exp, out_log)
    normal = a < 708
    np.testing.assert_allclose(out_exp[normal], np.exp(-a[normal]), rtol=4.5e-16, atol=0)
    assert np.all(out_exp[~normal] <= 1e-307)
    np.testing.assert_allclose(out_log, np.log1p(e), rtol=6.7e-16, atol=0)


def test_trial_point_matches_the_logistic_loss_and_its_gradient():
    """``F = Σh(log(1 + e^η) − yη)``, ``d = σ(η) − y`` and ``g = −Zᵀ(h d)`` at
    ``η + step·(Z̃δ + δ_0)`` against SciPy's ``expit`` and NumPy's ``logaddexp``,
    across ``|η|`` up to 800 (no overflow)."""
    from scipy.special import expit

    from shrinkage.solvers._logistic_kernels import trial

    rng = np.random.default_rng(4)
    n, p = 203, 6
    Zr = np.ascontiguousarray(rng.normal(size=(n, p)).astype(np.float32))
    eta = np.r_[rng.normal(size=n - 3) * 5, -800.0, 800.0, 0.0]
    y = (rng.random(n) < 0.5).astype(float)
    h = rng.random(n)
    h /= h.sum()
    delta = rng.normal(size=p)
    direction, eta_t, d, hd, g = (np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(p))
    F, g0 = trial(Zr, y, h, eta, direction, delta, 0.3, True, 0.5, eta_t, d, hd, g)
    at = eta + 0.5 * (Zr.astype(np.float64) @ delta + 0.3)
    np.testing.assert_allclose(eta_t, at, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(F, h @ (np.logaddexp(0.0, at) - y * at), rtol=1e-13)
    np.testing.assert_allclose(d, expit(at) - y, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(g, -(Zr.astype(np.float64).T @ (h * d)), rtol=1e-12, atol=1e-15)
    assert g0 == pytest.approx(-(h @ d), abs=1e-15)


@pytest.mark.parametrize("single", [False, True])
@pytest.mark.parametrize("ratio", [1.0, 0.5, 0.0])
def test_path_is_the_library_regularization_path(ratio, single, monkeypatch):
    """The path is ``regularization_path(loss="logistic")``'s (the library's own
    solver, weighted, on the same α grid) for lasso, elastic net and ridge: at
    ``tol = 1e-10`` on the double-precision design; on the single-precision one
    (the default) at ``tol = 1e-6``, about the least its rounding allows
    (``fl32(Z)`` moves the gradient by up to ``6·10⁻⁸·max|z|``)."""
    import shrinkage.solvers.logistic_gram_path as module
    from shrinkage.path import regularization_path

    monkeypatch.setattr(module, "DESIGN_SINGLE", single)
    Z, y, w = _data(n=300, p=10, seed=6)
    top = null_gradient_norm(Z, y, w) / max(ratio, 1e-2)
    alphas = np.geomspace(top, top * 1e-3, 8)
    tol, atol = (1e-6, 2e-5) if single else (1e-10, 1e-7)
    ours = logistic_path(Z, y, w, alphas, ratio, tol=tol)
    ref = regularization_path(
        Z, y, loss="logistic", l1_ratio=ratio, alphas=alphas, sample_weight=w, tol=1e-10
    )
    assert ours.converged.all()
    np.testing.assert_allclose(ours.coefs, ref.coefs, atol=atol)
    np.testing.assert_allclose(ours.intercepts, ref.intercepts, atol=atol)


@pytest.mark.parametrize("ratio", [1.0, 0.0])
def test_a_start_changes_the_way_not_the_answer(ratio):
    """Started near the answer at one α (as the procedure's refit starts from its
    folds' average) the path stops at the same point as down from the top, to the
    tolerance, and meets the KKT conditions there."""
    Z, y, w = _data(n=400, p=8, seed=7)
    top = null_gradient_norm(Z, y, w) / max(ratio, 1e-2)
    alphas = np.geomspace(top, top * 1e-3, 10)
    tol = 1e-6
    full = logistic_path(Z, y, w, alphas, ratio, tol=tol)
    rng = np.random.default_rng(8)
    guess = full.coefs[:, -1] + 0.05 * rng.normal(size=Z.shape[1])
    started = logistic_path(
        Z, y, w, alphas[-1:], ratio, tol=tol, start=(full.intercepts[-1] - 0.1, guess)
    )
    assert started.converged.all()
    assert started.n_steps[0] < full.n_steps.sum()
    np.testing.assert_allclose(started.coefs[:, 0], full.coefs[:, -1], atol=2e-5)
    assert started.intercepts[0] == pytest.approx(full.intercepts[-1], abs=2e-5)
    violation = _kkt(Z, y, w, started.intercepts[0], started.coefs[:, 0], alphas[-1], ratio)
    assert violation <= tol * null_gradient_norm(Z, y, w) * (1 + 1e-9)


def test_nearly_collinear_unpenalized_fit_reaches_the_optimum():
    """Columns ``x_j = 0.7 z_{j−1} + 0.3 z_j`` (condition number ~1e16 after
    standardizing) with the procedure's "none" fit (α = 1e-8, ρ = 0): the single-precision
    Hessian is then a little indefinite and its Cholesky factor used to fail. The fit must
    reach scikit-learn's unpenalized log-loss (the coefficients are not identifiable)."""
    rng = np.random.default_rng(5)
    n, p = 1500, 40
    Z0 = rng.normal(size=(n, p))
    X = Z0.copy()
    X[:, 1:] = 0.7 * Z0[:, :-1] + 0.3 * Z0[:, 1:]
    y = (X[:, :4] @ np.array([1.5, -1.0, 0.8, 0.5]) + rng.logistic(size=n) > 1.5).astype(float)
    Z = (X - X.mean(0)) / X.std(0)
    w = np.ones(n)
    res = logistic_path(Z, y, w, np.array([1e-8]), 0.0, tol=1e-6, max_iter=1000)
    sk = SkLogisticRegression(C=1e12, tol=1e-12, max_iter=100_000).fit(Z, y)

    def mean_loss(b0, b):
        eta = b0 + Z @ b
        return np.mean(np.logaddexp(0, eta) - y * eta)

    ours = mean_loss(res.intercepts[0], res.coefs[:, 0])
    theirs = mean_loss(sk.intercept_[0], sk.coef_[0])
    assert np.isfinite(res.coefs).all()
    assert ours <= theirs + 1e-6
