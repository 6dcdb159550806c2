"""``LassoIC`` / ``ElasticNetIC`` on Dask: the path and every criterion from one Gram pass.

Everything the in-memory estimator reads from the rows is a function of the weighted
moments (:mod:`.moments`). With ``h = w/Σw``, ``G = Σ h (x − x̄)(x − x̄)ᵀ``,
``q = Σ h (x − x̄)(y − ȳ)`` and ``c = Σ h (y − ȳ)²`` (uncentred without an intercept):

- the path: the in-memory solvers on ``G`` (ridge: the exact spectral path, and its
  automatic grid from the spectrum of ``G``);
- ``RSS = n Σ h (y − β₀ − xᵀβ)²`` at every alpha, a quadratic form in the moments
  (:meth:`~shrinkage.solvers.moments.Moments.sse`), ``n`` the weights' sum;
- the degrees of freedom: the lasso's rank of ``G`` on the counted active columns
  (those with ``|β_j|·√G_jj`` above rounding of ``√c``), the elastic net's
  ``tr[(G_AA + α(1−ρ)V_A)⁻¹ G_AA]``, ridge's ``tr H(α)`` from the spectrum;
- ``noise_variance="ols"``: ``n (c − qᵀβ̂)/(n − p − 1)`` with ``β̂`` the minimum-norm
  solution of ``G β = q``; ``"cv"``: the Dask ``ElasticNetCV`` (its hashed folds, one
  more pass), then the same formula as in memory from the moments;
- ``relax=True``: the least-squares refit on each active set, ``G_AA⁺ q_A``.

The lasso's rank is always computed here (``|A|³`` from ``G``); in memory it is
taken to be ``|A|`` past ``n·|A|² > 10⁹`` (a cost bound on the rows), which only
differs when active columns are exactly dependent.
"""

from __future__ import annotations

from numbers import Integral
from typing import TypeVar

import numpy as np

from .._validation import check_penalty_weights
from ..solvers.ridge import SpectralRidge, ridge_alpha_grid
from ._inputs import DaskData, set_feature_attributes
from .linear import check_precompute, fit_elastic_net_cv, path_from_moments
from .moments import gram_pass

T = TypeVar("T")


def fit_elastic_net_ic(estimator: T, data: DaskData) -> T:
    """:class:`~shrinkage.linear_model.ElasticNetIC` / ``LassoIC`` on Dask data."""
    # The formulas shared with the in-memory fit are the estimator's own methods (this
    # package is below the estimators and imports nothing from them).
    counted_sets = estimator._counted_from_norms
    l1_ratio = estimator._check_params()
    check_precompute(estimator.precompute)
    if estimator.relax and l1_ratio == 0.0:
        raise ValueError("relax=True needs an L1 part (l1_ratio > 0) to select with.")
    p, fit_intercept = data.n_features, estimator.fit_intercept
    weights = check_penalty_weights(estimator.penalty_weights, p)
    folds, shift_x, shift_y = gram_pass(data, fit_intercept)
    moments = folds.total().target(0)
    rows = int(moments.rows)
    if rows < 3:
        raise ValueError(f"Information criteria need at least 3 samples, got {rows} sample(s).")
    # Sample weights count as frequencies: n is their sum (the rows without weights).
    n = float(moments.weight)
    if not np.isfinite(n):
        raise ValueError(
            "sample_weight sums beyond the float range; the criteria count weights as "
            "frequencies, so rescale them (e.g. divide by their maximum)."
        )
    unit = moments.scaled(1.0 / n)  # h = w / Σw, the weights of the path's objective
    mean_x, _, gram, q, spread2 = unit.centred(fit_intercept)
    gram = (gram + gram.T) / 2.0

    alphas = estimator.alphas
    ridge = l1_ratio == 0.0 and not estimator.positive
    if ridge and isinstance(alphas, Integral) and not isinstance(alphas, bool):
        spectrum = SpectralRidge.from_moments(unit, shift_x, shift_y, weights, fit_intercept).lam
        alphas = ridge_alpha_grid(spectrum, alphas)
    path = path_from_moments(
        folds,
        shift_x,
        shift_y,
        weights,
        l1_ratio=l1_ratio,
        alphas=alphas,
        eps=estimator.eps,
        positive=estimator.positive,
        fit_intercept=fit_intercept,
        tol=estimator.tol,
        max_iter=estimator.max_iter,
        feature_names=data.feature_names,
    )

    norms = np.sqrt(np.maximum(np.diag(gram), 0.0))
    spread = float(np.sqrt(spread2))
    coefs, intercepts = path.coefs, path.intercepts
    if estimator.relax:
        coefs, intercepts, df = _relaxed_fits(
            gram, q, unit, shift_x, shift_y, coefs, fit_intercept
        )
    elif ridge:
        spectral = SpectralRidge.from_moments(unit, shift_x, shift_y, weights, fit_intercept)
        df = spectral.degrees_of_freedom(path.alphas) - int(fit_intercept)
    elif l1_ratio == 1.0:
        cache: dict[bytes, int] = {}
        df = []
        for active in counted_sets(coefs, norms, spread):
            key = active.tobytes()
            if key not in cache:
                cache[key] = _rank(gram, active)
            df.append(cache[key])
        df = np.asarray(df, dtype=float)
    else:
        df = np.array(
            [
                _elastic_net_df(gram, coefs[:, k], alpha, l1_ratio, weights)
                for k, alpha in enumerate(path.alphas)
            ]
        )
    rss = n * unit.sse(intercepts, coefs, shift_x, float(shift_y[0]))

    method = estimator._noise_method(n, p)
    if not isinstance(method, str):
        sigma2 = method
    elif method == "ols":
        solution = np.linalg.lstsq(gram, q, rcond=None)[0]
        residual = spread2 - 2.0 * q @ solution + solution @ gram @ solution
        sigma2 = float(n * max(residual, 0.0) / (n - p - int(fit_intercept)))
    else:
        cv = fit_elastic_net_cv(estimator._noise_cv_estimator(l1_ratio, rows), data)
        cv_rss = n * float(unit.sse(cv.intercept_, cv.coef_, shift_x, float(shift_y[0]))[0])
        cv_df = _elastic_net_df(gram, cv.coef_, cv.alpha_, cv.l1_ratio_, weights)
        sigma2 = estimator._noise_from_cv_fit(cv_rss, cv_df, n, fit_intercept)
    estimator.noise_variance_ = sigma2

    def counted():
        return np.array([a.size for a in counted_sets(coefs, norms, spread)], dtype=float)

    estimator._choose(path, coefs, intercepts, df, rss, n, p, counted, data.dtype)
    set_feature_attributes(estimator, data)
    return estimator


def _rank(gram: np.ndarray, active: np.ndarray) -> int:
    """The rank of ``G_AA`` (NumPy's rule, as the in-memory ``H^{1/2}X̃_A``'s Gram)."""
    if active.size == 0:
        return 0
    return int(np.linalg.matrix_rank(gram[np.ix_(active, active)], hermitian=True))


def _elastic_net_df(gram, coef, alpha, l1_ratio, penalty_weights) -> float:
    """``tr[(G_AA + α(1−ρ)V_A)⁻¹ G_AA]`` on the non-zero coefficients (the in-memory
    ``elastic_net_degrees_of_freedom`` with ``G`` from the moments)."""
    active = np.flatnonzero(coef)
    if active.size == 0:
        return 0.0
    block = gram[np.ix_(active, active)]
    ridge = alpha * (1.0 - l1_ratio) * penalty_weights[active]
    if not np.any(ridge > 0):
        return float(np.linalg.matrix_rank(block))
    return float(np.trace(np.linalg.solve(block + np.diag(ridge), block)))


def _relaxed_fits(gram, q, unit, shift_x, shift_y, coefs, fit_intercept):
    """Least squares on each alpha's active set (minimum norm): coefficients,
    intercepts and ranks, as the in-memory ``_relaxed_fits``."""
    p, m = coefs.shape
    mean_x = shift_x + (unit.x if fit_intercept else 0.0)
    mean_y = float(shift_y[0]) + float(unit.y) if fit_intercept else 0.0
    refits, intercepts, ranks = np.zeros((p, m)), np.zeros(m), []
    cache: dict[bytes, tuple] = {}
    for k in range(m):
        active = np.flatnonzero(coefs[:, k])
        key = active.tobytes()
        if key not in cache:
            coef = np.zeros(p)
            if active.size:
                block = gram[np.ix_(active, active)]
                coef[active] = np.linalg.lstsq(block, q[active], rcond=None)[0]
            intercept = mean_y - float(mean_x @ coef) if fit_intercept else 0.0
            cache[key] = (coef, intercept, _rank(gram, active))
        refits[:, k], intercepts[k], rank = cache[key]
        ranks.append(rank)
    return refits, intercepts, np.asarray(ranks, dtype=float)
