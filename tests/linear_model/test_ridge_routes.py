"""Ridge's routes (equilibrated Cholesky, eigen, Cholesky-SVD, SVD) and badly conditioned
designs: features on very different scales, nearly
collinear columns, extreme sample weights, against an independent reference.

The reference solves the weighted, centred ridge as one augmented least-squares
problem on *equilibrated* columns (each scaled to unit norm, the penalty rescaled to
match), with LAPACK's ``lstsq``: a route that never squares the design, so a feature
1e7 times smaller than another keeps all its digits.
"""

import numpy as np
import pytest
from sklearn.preprocessing import OneHotEncoder

from shrinkage import Ridge, RidgeCV
from shrinkage.solvers._spectrum_accuracy import squared_spectrum_resolves
from shrinkage.solvers.ridge import SpectralRidge


def reference_ridge(X, y, alpha, sample_weight=None, penalty_weights=None, fit_intercept=True):
    """argmin Σ s_i (y_i − b − x_iᵀβ)² + α Σ v_j β_j² (b = 0 without an intercept)."""
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    v = np.ones(X.shape[1]) if penalty_weights is None else np.asarray(penalty_weights, float)
    x_mean = s @ X / s.sum() if fit_intercept else np.zeros(X.shape[1])
    y_mean = s @ y / s.sum() if fit_intercept else 0.0
    root = np.sqrt(s)[:, None]
    Xc = root * (X - x_mean)
    scale = np.linalg.norm(Xc, axis=0)
    scale[scale == 0] = 1.0
    p = X.shape[1]
    # β = γ / scale: ‖Xc β‖ = ‖(Xc/scale) γ‖, α Σ v β² = ‖diag(√(α v)/scale) γ‖².
    A = np.vstack([Xc / scale, np.diag(np.sqrt(alpha * v) / scale)])
    b = np.concatenate([root[:, 0] * (y - y_mean), np.zeros(p)])
    gamma = np.linalg.lstsq(A, b, rcond=None)[0]
    coef = gamma / scale
    return coef, y_mean - x_mean @ coef


def mixed_scales(n, p, ratio, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X.sum(axis=1) + 0.1 * rng.standard_normal(n)
    X[:, 0] *= ratio
    return X, y


@pytest.mark.parametrize("shape", [(100, 2), (200, 20), (30, 100)])
@pytest.mark.parametrize("ratio", [1e7, 1e-7])
def test_features_on_very_different_scales(shape, ratio):
    X, y = mixed_scales(*shape, ratio)
    for alpha in (1e-3, 1.0):
        coef, intercept = reference_ridge(X, y, alpha)
        model = Ridge(alpha=alpha).fit(X, y)
        np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-9 * np.abs(coef).max())
        np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-6, atol=1e-8)


def test_nearly_collinear_columns_small_alpha():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(60)
    X = np.c_[x, x + 1e-7 * rng.standard_normal(60), rng.standard_normal(60)]
    y = X[:, 0] - 0.5 * X[:, 1] + X[:, 2] + 0.1 * rng.standard_normal(60)
    for alpha in (1e-6, 1e-10):
        coef, _ = reference_ridge(X, y, alpha)
        np.testing.assert_allclose(Ridge(alpha=alpha).fit(X, y).coef_, coef, rtol=1e-5)


def test_extreme_sample_weights():
    # The second feature is seen only in the rows of weight 1: its direction is
    # 1e-7 of the largest singular value, and its coefficient is still unique.
    rng = np.random.default_rng(2)
    X = rng.standard_normal((60, 2))
    X[:30, 1] = 0.0
    y = X @ [1.0, 0.5] + 0.1 * rng.standard_normal(60)
    weights = np.r_[np.full(30, 1e14), np.ones(30)]
    coef, intercept = reference_ridge(X, y, 1e-3, weights)
    model = Ridge(alpha=1e-3).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6)
    assert abs(model.coef_[1] - 0.5) < 0.1


def test_ridge_cv_on_mixed_scales_scores_the_right_fits():
    X, y = mixed_scales(150, 5, 1e7, seed=3)
    alphas = np.logspace(-3, 3, 7)
    model = RidgeCV(alphas=alphas).fit(X, y)
    coef, _ = reference_ridge(X, y, model.alpha_)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-12)
    assert model.score(X, y) > 0.99  # every feature carries signal


def test_which_spectra_the_eigen_route_resolves():
    """Dummies of one column with an intercept are exactly collinear: the squared
    spectrum serves them (no SVD needed). A nearly collinear pair loses a direction:
    it matters when y leans on the difference of the pair and alpha is small, not
    when y lies in the well-resolved directions and alpha is large."""
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 5, size=(400, 3))
    X = OneHotEncoder(sparse_output=False).fit_transform(codes)
    Xc = X - X.mean(axis=0)
    y = Xc @ rng.standard_normal(Xc.shape[1]) + rng.standard_normal(400)
    lam, V = np.linalg.eigh(Xc.T @ Xc)
    assert squared_spectrum_resolves(lam, V, Xc, (y - y.mean())[:, None], 0.0, rows=False)

    x, noise = rng.standard_normal(400), rng.standard_normal(400)
    near = np.c_[x, x + 1e-7 * noise, rng.standard_normal(400)]
    near -= near.mean(axis=0)
    lam, V = np.linalg.eigh(near.T @ near)
    leaning = (near[:, 1] - near[:, 0]) * 1e7 + near[:, 2]  # y = noise + x3
    ignoring = near.sum(axis=1)  # y in the span of the well-resolved directions
    for alpha in (0.0, 1e-6):
        assert not squared_spectrum_resolves(lam, V, near, leaning[:, None], alpha, rows=False)
    for alpha in (1.0, 100.0):
        assert squared_spectrum_resolves(lam, V, near, ignoring[:, None], alpha, rows=False)
    # Two targets at once: the decomposition serves both or neither.
    both = np.c_[ignoring, leaning]
    assert not squared_spectrum_resolves(lam, V, near, both, 1e-6, rows=False)


def test_spectrum_only_callers_skip_the_check():
    X, y = mixed_scales(100, 2, 1e7)
    assert SpectralRidge(X, y[:, None], alpha_floor=np.inf).lam.size == 1
    assert SpectralRidge(X, y[:, None]).lam.size == 2


@pytest.mark.parametrize("shape", [(120, 8), (15, 40)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cholesky_route_against_the_reference(shape, fit_intercept):
    """One alpha per target on well-conditioned dense data: the equilibrated normal
    equations (primal when n >= p, dual when n < p), with sample and penalty weights."""
    rng = np.random.default_rng(5)
    n, p = shape
    X = rng.standard_normal((n, p)) + 3.0
    Y = np.c_[X[:, :3].sum(axis=1), X[:, -1]] + rng.standard_normal((n, 2))
    weights = rng.uniform(0.5, 2.0, n)
    penalty = rng.uniform(0.5, 2.0, p)
    model = Ridge(alpha=[0.3, 3.0], fit_intercept=fit_intercept, penalty_weights=penalty)
    model.fit(X, Y, sample_weight=weights)
    assert model.method_ == "cholesky"
    for t, alpha in enumerate([0.3, 3.0]):
        coef, intercept = reference_ridge(X, Y[:, t], alpha, weights, penalty, fit_intercept)
        np.testing.assert_allclose(model.coef_[t], coef, rtol=1e-9, atol=1e-12)
        fitted = np.broadcast_to(model.intercept_, (2,))[t]  # 0.0 without an intercept
        np.testing.assert_allclose(fitted, intercept, rtol=1e-9, atol=1e-12)


def test_ill_conditioned_normal_equations_leave_the_cholesky_route():
    rng = np.random.default_rng(6)
    x = rng.standard_normal(80)
    X = np.c_[x, x + 1e-9 * rng.standard_normal(80), rng.standard_normal(80)]
    y = X[:, 2] + 1e9 * (X[:, 1] - X[:, 0]) + 0.01 * rng.standard_normal(80)
    model = Ridge(alpha=1e-12).fit(X, y)
    assert model.method_ != "cholesky"
    coef, _ = reference_ridge(X, y, 1e-12)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-5)
    assert Ridge(alpha=0.0).fit(X, y).method_ != "cholesky"  # alpha = 0: minimum norm


def test_two_dimensional_alpha_is_one_per_target():
    """As scikit-learn, ``alpha`` of shape (1, n_targets) is raveled."""
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((20, 4)), rng.standard_normal((20, 3))
    flat = Ridge(alpha=[0.1, 1.0, 10.0]).fit(X, Y)
    rows = Ridge(alpha=np.array([[0.1, 1.0, 10.0]])).fit(X, Y)
    np.testing.assert_array_equal(rows.coef_, flat.coef_)
    with pytest.raises(ValueError, match="2 != 3"):
        Ridge(alpha=np.array([[0.1, 1.0]])).fit(X, Y)


def test_moments_route_keeps_small_scale_features():
    """From the moments alone (Dask's route): independent columns on scales 1e-4..1e4
    keep every direction, through the SVD of a Cholesky factor of the Gram matrix."""
    from shrinkage.solvers.moments import Moments

    rng = np.random.default_rng(8)
    X = rng.standard_normal((500, 6)) * np.logspace(-4, 4, 6)
    y = X @ (1.0 / np.logspace(-4, 4, 6)) + 0.1 * rng.standard_normal(500)
    shift = X.mean(axis=0)
    moments = Moments.of_rows(X, y, shift_x=shift, shift_y=y.mean())
    ridge = SpectralRidge.from_moments(moments, shift, y.mean(), np.ones(6), True)
    coefs, intercepts = ridge.coefs(np.array([1e-3, 1.0]))
    for k, alpha in enumerate([1e-3, 1.0]):
        coef, intercept = reference_ridge(X, y, alpha)
        np.testing.assert_allclose(coefs[:, k], coef, rtol=1e-7)
        np.testing.assert_allclose(intercepts[k], intercept, rtol=1e-7)


def test_sparse_conjugate_gradients_to_the_reference():
    """Sparse data (weighted, penalty-weighted, two targets): conjugate gradients to a
    residual that keeps 1e-8, never densified; the same answer as the reference."""
    import scipy.sparse as sp

    rng = np.random.default_rng(9)
    X = sp.random(300, 400, density=0.02, format="csr", random_state=10)
    Y = np.c_[X @ rng.standard_normal(400), X[:, :5].sum(axis=1).A.ravel()]
    Y += 0.1 * rng.standard_normal(Y.shape)
    weights = rng.uniform(0.5, 2.0, 300)
    penalty = rng.uniform(0.5, 2.0, 400)
    model = Ridge(alpha=[0.5, 2.0], penalty_weights=penalty).fit(X, Y, sample_weight=weights)
    assert model.method_ == "cg"
    dense = X.toarray()
    for t, alpha in enumerate([0.5, 2.0]):
        coef, intercept = reference_ridge(dense, Y[:, t], alpha, weights, penalty)
        np.testing.assert_allclose(model.coef_[t], coef, rtol=1e-7, atol=1e-9 * np.abs(coef).max())
        assert model.intercept_[t] == pytest.approx(intercept, rel=1e-7, abs=1e-9)


def test_dummies_with_an_intercept_at_a_small_alpha():
    """One-hot columns with an intercept next to a column on scale 1e4 at alpha 1e-4:
    a direction held only by alpha, where forming XᵀX errs by √n·eps relative to its
    diagonal; the route must keep 1e-8 (the normal equations alone were off by 1.4e-6)."""
    rng = np.random.default_rng(11)
    dummies = OneHotEncoder(sparse_output=False).fit_transform(rng.integers(0, 6, (3000, 4)))
    X = np.hstack([dummies, rng.standard_normal((3000, 3)) * [1.0, 100.0, 1e4]])
    y = X @ rng.standard_normal(X.shape[1]) * 0.5 + rng.standard_normal(3000)
    coef, intercept = reference_ridge(X, y, 1e-4)
    model = Ridge(alpha=1e-4).fit(X, y)
    assert np.linalg.norm(model.coef_ - coef) <= 1e-8 * np.linalg.norm(coef)
