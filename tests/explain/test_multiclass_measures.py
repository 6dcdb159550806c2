"""The multinomial report's measurements against direct computations."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from shrinkage.explain import multiclass_measures as mm
from shrinkage.linear_model import LogisticRegression


@pytest.fixture
def three_classes():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((240, 6))
    eta = X[:, :3] @ rng.standard_normal((3, 3))
    y = np.array([rng.choice(3, p=p) for p in np.exp(log_softmax(eta, axis=1))])
    return X, y


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_calibration_slope_maximizes_the_rescaled_likelihood(three_classes, temperature):
    X, y = three_classes
    fit = SkLogisticRegression(C=1e6, max_iter=2000).fit(X, y)
    logits = fit.decision_function(X) * temperature
    P = np.exp(log_softmax(logits, axis=1))

    def negative_loglik(gamma):
        return -np.sum(log_softmax(gamma * logits, axis=1)[np.arange(len(y)), y])

    reference = minimize_scalar(
        negative_loglik, bounds=(0.01, 10), method="bounded", options={"xatol": 1e-10}
    ).x
    assert mm.calibration_slope(P, y) == pytest.approx(reference, rel=1e-6)
    # The maximum-likelihood fit is calibrated on its own rows: slope 1/temperature.
    assert mm.calibration_slope(P, y) == pytest.approx(1 / temperature, rel=1e-4)


def test_alpha_max_is_where_the_lasso_starts_to_select(three_classes):
    X, y = three_classes
    alpha_max = mm.multinomial_alpha_max(X, y, 1.0)
    n = len(y)
    at = LogisticRegression(C=1 / (1.0001 * alpha_max * n), l1_ratio=1.0, tol=1e-10).fit(X, y)
    below = LogisticRegression(C=1 / (0.99 * alpha_max * n), l1_ratio=1.0, tol=1e-10).fit(X, y)
    assert not np.any(at.coef_)
    assert np.count_nonzero(below.coef_) >= 1


def test_group_norm_path_reaches_zero_for_l1_only(three_classes):
    X, y = three_classes
    top = mm.multinomial_alpha_max(X, y, 1.0)
    grid = np.geomspace(top, top / 100, 8)
    lasso = mm.group_norm_path(X, y, grid, 1.0, [f"x{j}" for j in range(6)])
    ridge = mm.group_norm_path(X, y, grid, 0.0, [f"x{j}" for j in range(6)])
    assert lasso.n_nonzero[0] == 0 and lasso.n_nonzero[-1] > 0
    assert np.all(ridge.n_nonzero == 6)
    # Norms of the warm-started path equal cold fits at the same alpha.
    cold = LogisticRegression(C=1 / (grid[-1] * len(y)), l1_ratio=1.0, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(lasso.coefs[:, -1], np.linalg.norm(cold.coef_, axis=0), atol=1e-5)


def test_calibration_slope_is_undefined_when_every_row_is_ranked_right():
    """Separated rows: ℓ(γ) rises without bound, so no slope (NaN, as the binary
    slope of measure.calibration_slope gives for separated rows; it was +inf)."""
    y = np.array([0, 1, 2, 1])
    P = np.full((4, 3), 0.2)
    P[np.arange(4), y] = 0.6
    assert np.isnan(mm.calibration_slope(P, y))
    # ℓ(γ) written out is increasing: no maximum to report
    L = np.log(P)
    ell = [np.sum(g * L[np.arange(4), y] - np.log(np.exp(g * L).sum(1))) for g in (1, 3, 9)]
    assert ell[0] < ell[1] < ell[2] < 0
    P[0] = [0.2, 0.6, 0.2]  # one row wrong: a finite maximum exists
    assert np.isfinite(mm.calibration_slope(P, y))


def test_calibration_slope_is_undefined_with_a_tie_at_the_top():
    """Quasi-separation: one row's own class tied first, every other row right: ℓ(γ)
    still rises without bound (46 was returned, where Newton stopped)."""
    y = np.array([0, 1, 2, 1, 0])
    P = np.full((5, 3), 0.2)
    P[np.arange(5), y] = 0.6
    P[0] = [0.4, 0.4, 0.2]
    assert np.isnan(mm.calibration_slope(P, y))


def test_multiclass_and_binary_slopes_agree_on_separated_two_class_rows():
    """The same held-out rows, separated, through both paths: both NaN (the binary
    path's answer; the multiclass one gave +inf)."""
    from shrinkage.explain.measure import calibration_slope
    from shrinkage.explain.multiclass import scores

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 15)
    p = np.r_[rng.uniform(0.05, 0.45, 15), rng.uniform(0.55, 0.95, 15)]
    P = np.column_stack([1 - p, p])
    assert np.isnan(calibration_slope("classification", y, p))
    assert np.isnan(mm.calibration_slope(P, y))
    assert np.isnan(scores(P, y)["calibration_slope"])
    # three classes, every row's class predicted first
    y3 = np.repeat([0, 1, 2], 10)
    P3 = rng.dirichlet([1, 1, 1], 30)
    P3[np.arange(30), y3] += 2
    P3 /= P3.sum(axis=1, keepdims=True)
    assert np.isnan(scores(P3, y3)["calibration_slope"])
