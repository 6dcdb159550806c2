"""``ElasticNetIC`` and ``LassoIC``: alpha chosen along the path by AIC, BIC or extended BIC.

For every alpha of the path, with ``RSS = Σ_i s_i (y_i − ŷ_i)²`` (weights scaled to sum
to ``n``), ``σ²`` the noise variance and ``df`` the degrees of freedom,

.. math::

    \\mathrm{AIC} = n\\log(2\\pi\\sigma^2) + \\frac{RSS}{\\sigma^2} + 2\\,df,\\qquad
    \\mathrm{BIC} = n\\log(2\\pi\\sigma^2) + \\frac{RSS}{\\sigma^2} + \\log(n)\\,df,

(scikit-learn's ``LassoLarsIC`` form) and the extended BIC of Chen & Chen (2008),
``EBIC = BIC + 2γ log C(p, k)`` with ``k`` the number of selected features, which
keeps the criterion from picking huge models when ``p`` is large.

Degrees of freedom (the intercept is not counted; it shifts every alpha alike):

- lasso: the number of non-zero coefficients (Zou, Hastie & Tibshirani 2007), or, when
  the active columns are linearly dependent (duplicated columns), their rank
  (Tibshirani & Taylor 2012). Coefficients whose contribution ``|β_j|·‖x̃_j‖`` is
  below 1e-10 of the spread of ``y`` are rounding (a variable entering, or the remnant on
  a twin column) and are not counted; the same rank counts a relaxed refit;
- elastic net: ``tr[X_A (X_AᵀHX_A + α(1−ρ)V_A)⁻¹ X_AᵀH]`` on the active set ``A``;
- ridge (``l1_ratio=0``): ``tr H(α)`` from the exact spectral path.

The noise variance ``σ²`` is, by ``noise_variance``: a given number; "ols", the
unbiased residual variance of the unpenalized fit (needs ``n > p``); "cv", the
estimator of Reid, Tibshirani & Friedman (2016), ``RSS(α_cv)/(n − df(α_cv) − 1)`` at
the cross-validated alpha, which stays sensible when ``p ≥ n``; "auto" (default),
"ols" when ``n > 2(p + 1)`` and "cv" otherwise.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln
from sklearn.base import RegressorMixin

from .._docs import inherit_entries
from .._validation import (
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_sample_weight,
)
from ..path import regularization_path
from ..solvers.standardize import column_scales, standardize_design, to_scaled_units
from ._base import LinearModelBase, check_finite_target, validated_fit_input
from ._coordinate_descent import ElasticNet

CRITERIA = ("aic", "bic", "ebic")


def _log_binomial(p: int, k: np.ndarray) -> np.ndarray:
    return gammaln(p + 1) - gammaln(k + 1) - gammaln(p - k + 1)


def elastic_net_degrees_of_freedom(X, h, coef, alpha, l1_ratio, penalty_weights, fit_intercept):
    """``tr[X_A (X_AᵀHX_A + α(1−ρ)V_A)⁻¹ X_AᵀH]`` with ``X`` centred by the weighted means.

    Equals the number of active features for the lasso (``ρ = 1``) when ``X_A`` has
    full column rank.
    """
    active = np.flatnonzero(coef)
    if active.size == 0:
        return 0.0
    XA = X[:, active]
    XA = XA.toarray() if sp.issparse(XA) else np.asarray(XA, dtype=np.float64)
    if fit_intercept:
        XA = XA - h @ XA
    gram = XA.T @ (h[:, None] * XA)
    ridge = alpha * (1.0 - l1_ratio) * penalty_weights[active]
    if not np.any(ridge > 0):
        return float(np.linalg.matrix_rank(gram))
    return float(np.trace(np.linalg.solve(gram + np.diag(ridge), gram)))


class ElasticNetIC(RegressorMixin, LinearModelBase):
    """Elastic net (lasso, ridge) with alpha chosen by AIC, BIC or extended BIC.

    Parameters
    ----------
    l1_ratio : float, default=1.0
        1 is the lasso, 0 ridge (exact spectral path, ``df = tr H``).
    criterion : {"aic", "bic", "ebic"}, default="bic"
    ebic_gamma : float in [0, 1], default=0.5
        Weight ``γ`` of the model-space term of the extended BIC.
    noise_variance : "auto", "ols", "cv" or float, default="auto"
        See the module notes.
    alphas : int or array-like, default=100
        Grid size or grid. For ridge the automatic grid spans the whole range of
        ``tr H`` (:func:`shrinkage.solvers.ridge.ridge_alpha_grid`); otherwise it is
        the usual ``alpha_max`` to ``eps·alpha_max``.
    eps : float, default=1e-3
    fit_intercept, precompute, max_iter, tol, positive, penalty_weights
        As :class:`ElasticNet`.
    relax : bool, default=False
        Score each alpha by the unpenalized least-squares refit on its active set
        (``df`` = its size) and return that refit: the LARS-OLS hybrid of Efron et al.
        (2004), the relaxed lasso at ``gamma = 0``. The lasso's shrinkage makes plain
        BIC buy back its bias with a few noise features; the refit removes the bias, so
        BIC can pick the true support when the signal is strong.
    standardize : bool, default=False
        As :class:`ElasticNet` (glmnet's ``standardize=TRUE``). The elastic-net
        degrees of freedom then use the ridge part ``α(1−ρ)v_j s_j²`` it puts on the
        original-unit coefficients.

    Attributes
    ----------
    alpha_ : float
    alphas_ : ndarray of shape (n_alphas,)
    criterion_ : ndarray of shape (n_alphas,)
    degrees_of_freedom_ : ndarray of shape (n_alphas,)
    noise_variance_ : float
    n_iter_ : int
        Solver sweeps at ``alpha_``.
    path_ : PathResult
    coef_, intercept_, n_features_in_, feature_names_in_
    """

    _l1_ratio_fixed: float | None = None

    def __init__(
        self,
        *,
        l1_ratio=1.0,
        criterion="bic",
        ebic_gamma=0.5,
        noise_variance="auto",
        alphas=100,
        eps=1e-3,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-6,
        positive=False,
        penalty_weights=None,
        relax=False,
        standardize=False,
    ):
        self.l1_ratio = l1_ratio
        self.criterion = criterion
        self.ebic_gamma = ebic_gamma
        self.noise_variance = noise_variance
        self.alphas = alphas
        self.eps = eps
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.positive = positive
        self.penalty_weights = penalty_weights
        self.relax = relax
        self.standardize = standardize

    def _check_params(self) -> float:
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {self.criterion!r}.")
        gamma = check_nonnegative_scalar(self.ebic_gamma, "ebic_gamma")
        if gamma > 1:
            raise ValueError(f"ebic_gamma must be in [0, 1], got {gamma}.")
        nv = self.noise_variance
        if not (isinstance(nv, str) and nv in ("auto", "ols", "cv")):
            check_nonnegative_scalar(
                nv, "noise_variance", "Pass a variance > 0, or 'auto', 'ols' or 'cv'."
            )
            if nv == 0:
                raise ValueError("noise_variance must be > 0 (it divides the RSS).")
        ratio = self._l1_ratio_fixed
        return check_l1_ratio(self.l1_ratio if ratio is None else ratio)

    def fit(self, X, y, sample_weight=None):
        """Fit the path and keep the alpha with the smallest criterion.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,) or float, optional
            Frequency weights, scikit-learn's meaning: a weight of 2 counts the row
            twice, so ``n`` in the criteria is their sum (integer weights give exactly
            the fit on repeated rows). Unlike the coefficients of a single fit, the
            chosen alpha therefore changes when every weight is multiplied by the same
            number (a scalar 3.0 triples ``n``); pass weights that sum to the number of
            observations they stand for.

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight)) is not None:
            return fitted
        l1_ratio = self._check_params()
        X, y = validated_fit_input(self, X, y, y_numeric=True)
        if sp.issparse(X):
            X = X.tocsc()  # column slices for the degrees of freedom
        y = check_finite_target(y).ravel()
        n, p = X.shape
        if n < 3:
            raise ValueError(f"Information criteria need at least 3 samples, got {n} sample(s).")
        h = check_sample_weight(sample_weight, n)
        v = check_penalty_weights(self.penalty_weights, p)
        # Sample weights count as frequencies: n is their sum, as if rows were repeated.
        n = float(
            n
            if sample_weight is None
            else np.sum(np.asarray(sample_weight, dtype=float) * np.ones_like(h))
        )
        if not np.isfinite(n):
            raise ValueError(
                "sample_weight sums beyond the float range; the criteria count weights as "
                "frequencies, so rescale them (e.g. divide by their maximum)."
            )
        # The degrees of freedom and ridge spectra are those of the scaled design.
        X_fit, scales = standardize_design(X, h, self.standardize)
        alphas = self.alphas
        ridge = l1_ratio == 0.0 and not self.positive
        if ridge and isinstance(alphas, (int, np.integer)) and not isinstance(alphas, bool):
            from ..solvers.ridge import SpectralRidge, ridge_alpha_grid

            # Only the spectrum's range sets the grid: no alpha to resolve.
            spectrum = SpectralRidge(
                X_fit, y[:, None], h, v, self.fit_intercept, alpha_floor=np.inf
            ).lam
            alphas = ridge_alpha_grid(spectrum, alphas)
        path = regularization_path(
            X,
            y,
            l1_ratio=l1_ratio,
            alphas=alphas,
            eps=self.eps,
            penalty_weights=v,
            positive=self.positive,
            fit_intercept=self.fit_intercept,
            sample_weight=h,
            tol=self.tol,
            max_iter=self.max_iter,
            precompute=self.precompute,
            standardize=self.standardize,
        )
        coefs, intercepts = path.coefs, path.intercepts
        if self.relax:
            if l1_ratio == 0.0:
                raise ValueError("relax=True needs an L1 part (l1_ratio > 0) to select with.")
            coefs, intercepts, df = _relaxed_fits(X, y, h, coefs, self.fit_intercept)
        else:
            scaled = to_scaled_units(path.coefs, scales)
            df = self._degrees_of_freedom(X_fit, y, h, v, path, l1_ratio, scaled)
        rss = n * np.sum(h[:, None] * (y[:, None] - (X @ coefs + intercepts)) ** 2, 0)
        self.noise_variance_ = self._noise_variance(X, y, h, n, sample_weight, l1_ratio)

        def counted():
            scaled_coefs = to_scaled_units(coefs, scales)
            return _counted(X_fit, y, h, scaled_coefs, self.fit_intercept)

        self._choose(path, coefs, intercepts, df, rss, n, p, counted, X.dtype)
        return self

    # For the Dask engine, which sits below the estimators and reaches these helpers
    # through the estimator it is given (it imports nothing from linear_model).
    def _noise_cv_estimator(self, l1_ratio: float, n_rows: int):
        return noise_cv_estimator(self, l1_ratio, n_rows)

    @staticmethod
    def _noise_from_cv_fit(rss: float, df: float, n: float, fit_intercept: bool) -> float:
        return noise_from_cv_fit(rss, df, n, fit_intercept)

    @staticmethod
    def _counted_from_norms(coefs, norms, spread: float) -> list[np.ndarray]:
        return counted_sets(coefs, norms, spread)

    def _choose(self, path, coefs, intercepts, df, rss, n, p, counted, dtype) -> None:
        """The criterion at every alpha, the smallest, and the fitted attributes (in
        memory and on Dask). ``noise_variance_`` is set; ``counted()`` gives the number
        of selected features per alpha (for the extended BIC)."""
        sigma2 = self.noise_variance_
        base = n * np.log(2 * np.pi * sigma2) + rss / sigma2
        if self.criterion == "aic":
            values = base + 2 * df
        else:
            values = base + np.log(n) * df
            if self.criterion == "ebic":
                values = values + 2 * self.ebic_gamma * _log_binomial(p, counted())
        best = int(np.argmin(values))
        self.path_ = path
        self.alphas_ = path.alphas
        self.criterion_ = values
        self.degrees_of_freedom_ = df
        self.alpha_ = float(path.alphas[best])
        self.n_iter_ = int(path.n_iters[best])
        self.coef_ = coefs[:, best].astype(dtype)
        self.intercept_ = float(intercepts[best]) if self.fit_intercept else 0.0

    def _degrees_of_freedom(self, X, y, h, v, path, l1_ratio, coefs) -> np.ndarray:
        if l1_ratio == 0.0 and not self.positive:
            from ..solvers.ridge import SpectralRidge

            ridge = SpectralRidge(
                X, y[:, None], h, v, self.fit_intercept, alpha_floor=path.alphas.min()
            )
            return ridge.degrees_of_freedom(path.alphas) - int(self.fit_intercept)
        if l1_ratio == 1.0:
            return _lasso_degrees_of_freedom(X, y, h, coefs, self.fit_intercept)
        return np.array(
            [
                elastic_net_degrees_of_freedom(
                    X, h, coefs[:, k], alpha, l1_ratio, v, self.fit_intercept
                )
                for k, alpha in enumerate(path.alphas)
            ]
        )

    def _noise_method(self, n: float, p: int):
        """The given noise variance (a float), or how to estimate it: "ols" or "cv"
        ("auto" resolved by ``n``, the weights' sum; "ols" refused without residual
        degrees of freedom)."""
        nv = self.noise_variance
        if not isinstance(nv, str):
            return float(nv)
        if nv == "auto":
            nv = "ols" if n > 2 * (p + 1) else "cv"
        if nv == "ols" and n - p - int(self.fit_intercept) <= 0:
            raise ValueError(
                "noise_variance='ols' needs n_samples > n_features + intercept (got "
                f"n={n:.6g}, p={p}); use noise_variance='cv' or pass a known variance."
            )
        return nv

    def _noise_variance(self, X, y, h, n, sample_weight, l1_ratio) -> float:
        p = X.shape[1]
        nv = self._noise_method(n, p)
        if not isinstance(nv, str):
            return nv
        free = n - p - int(self.fit_intercept)
        if nv == "ols":
            Xd = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
            if self.fit_intercept:
                Xd = np.column_stack([Xd, np.ones(X.shape[0])])
            root = np.sqrt(h * n)
            coef = np.linalg.lstsq(Xd * root[:, None], y * root, rcond=None)[0]
            return float(np.sum(n * h * (y - Xd @ coef) ** 2) / free)
        return _cv_noise_variance(self, X, y, n, sample_weight, l1_ratio)


def _relaxed_fits(X, y, h, coefs, fit_intercept):
    """Least squares on each alpha's active set: coefficients, intercepts and ranks."""
    from ._relaxed import least_squares_on

    refits, intercepts, ranks = np.zeros_like(coefs), np.zeros(coefs.shape[1]), []
    cache: dict[bytes, tuple] = {}
    for k in range(coefs.shape[1]):
        active = np.flatnonzero(coefs[:, k])
        key = active.tobytes()
        if key not in cache:
            coef, intercept = least_squares_on(X, y, h, active, fit_intercept)
            # The refit's df is its rank: a minimum-norm refit splits a coefficient
            # over duplicated columns, which its non-zero count would count twice.
            cache[key] = (coef, intercept, _active_rank(X, h, active, fit_intercept))
        refits[:, k], intercepts[k], rank = cache[key]
        ranks.append(rank)
    return refits, intercepts, np.asarray(ranks, dtype=float)


#: Contributions ``|β_j|·‖x̃_j‖`` below this fraction of ``y``'s spread are rounding.
_NEGLIGIBLE = 1e-10
#: Past ``n·|A|²`` multiply-adds the rank of an active set is taken to be its size.
_RANK_BUDGET = 1e9


def _column_norms(X, h, fit_intercept) -> np.ndarray:
    """``‖x̃_j‖_h``: the weighted norms of the columns, centred with an intercept
    (glmnet's scales, :func:`~shrinkage.solvers.standardize.column_scales`)."""
    if fit_intercept:
        return column_scales(X, h).scales
    second = X.multiply(X).T @ h if sp.issparse(X) else h @ (np.asarray(X, float) ** 2)
    return np.sqrt(np.asarray(second, dtype=np.float64).ravel())


def _counted_sets(X, y, h, coefs, fit_intercept) -> list[np.ndarray]:
    """Per alpha, the features whose contribution ``|β_j|·‖x̃_j‖`` to the fit is not
    rounding: above :data:`_NEGLIGIBLE` times the spread of ``y`` (a scale the fit does
    not set: where every coefficient is rounding, at ``alpha_max``, none counts)."""
    centre = h @ y if fit_intercept else 0.0
    spread = float(np.sqrt(h @ (y - centre) ** 2))
    return counted_sets(coefs, _column_norms(X, h, fit_intercept), spread)


def counted_sets(coefs, norms, spread: float) -> list[np.ndarray]:
    """:func:`_counted_sets` from the column norms ``‖x̃_j‖_h`` and the spread
    ``‖ỹ‖_h`` (also computed from moments, by the Dask engine)."""
    contribution = np.abs(coefs) * np.asarray(norms)[:, None]
    return [np.flatnonzero(c > _NEGLIGIBLE * spread) for c in contribution.T]


def _counted(X, y, h, coefs, fit_intercept) -> np.ndarray:
    return np.array([a.size for a in _counted_sets(X, y, h, coefs, fit_intercept)], dtype=float)


def _active_rank(X, h, active, fit_intercept) -> int:
    """The rank of ``H^{1/2}X̃_A`` (NumPy's ``matrix_rank`` rule on its Gram), or
    ``|A|`` past :data:`_RANK_BUDGET`."""
    if active.size == 0:
        return 0
    if X.shape[0] * active.size**2 > _RANK_BUDGET:
        return int(active.size)
    XA = X[:, active]
    XA = XA.toarray() if sp.issparse(XA) else np.asarray(XA, dtype=np.float64)
    if fit_intercept:
        XA = XA - h @ XA
    gram = XA.T @ (h[:, None] * XA)
    return int(np.linalg.matrix_rank(gram, hermitian=True))


def _lasso_degrees_of_freedom(X, y, h, coefs, fit_intercept) -> np.ndarray:
    """The lasso's df per alpha: the rank of its counted active columns."""
    cache: dict[bytes, int] = {}
    df = []
    for active in _counted_sets(X, y, h, coefs, fit_intercept):
        key = active.tobytes()
        if key not in cache:
            cache[key] = _active_rank(X, h, active, fit_intercept)
        df.append(cache[key])
    return np.asarray(df, dtype=float)


_MIN_ROWS_FOR_CV_NOISE = 5


def noise_cv_estimator(estimator, l1_ratio: float, n_rows: int):
    """The unfitted ``ElasticNetCV`` whose fit estimates the noise variance (in memory
    and on Dask, where its ``cv=5`` means the engine's hashed folds)."""
    from ._elastic_net_cv import ElasticNetCV

    if n_rows < _MIN_ROWS_FOR_CV_NOISE:
        raise ValueError(
            f"With {n_rows} samples the noise variance cannot be estimated (by "
            f"cross-validation it needs at least {_MIN_ROWS_FOR_CV_NOISE}); pass a known "
            "noise_variance as a number, or use more samples."
        )
    return ElasticNetCV(
        l1_ratio=max(l1_ratio, 1e-3),
        alphas=estimator.alphas,
        eps=estimator.eps,
        fit_intercept=estimator.fit_intercept,
        tol=estimator.tol,
        max_iter=estimator.max_iter,
        cv=min(5, n_rows),  # rows, not n (the weights' sum, a float)
        penalty_weights=estimator.penalty_weights,
        standardize=estimator.standardize,
    )


def noise_from_cv_fit(rss: float, df: float, n: float, fit_intercept: bool) -> float:
    """``RSS(α_cv) / (n − df(α_cv) − 1)``, refused where the fit interpolates."""
    denominator = n - df - int(fit_intercept)
    if denominator <= 0:
        raise ValueError(
            "The cross-validated fit interpolates the data (df >= n), so the noise variance "
            "cannot be estimated; pass noise_variance as a number."
        )
    return float(rss / denominator)


def _cv_noise_variance(estimator, X, y, n, sample_weight, l1_ratio) -> float:
    """Reid, Tibshirani & Friedman (2016): ``RSS(α_cv) / (n − df(α_cv) − 1)``."""
    cv = noise_cv_estimator(estimator, l1_ratio, X.shape[0])
    cv.fit(X, y, sample_weight=sample_weight)
    h = check_sample_weight(sample_weight, X.shape[0])
    residual = y - np.asarray(X @ cv.coef_).ravel() - cv.intercept_
    rss = n * np.sum(h * residual**2)
    v = check_penalty_weights(estimator.penalty_weights, X.shape[1])
    X_df, scales = standardize_design(X, h, estimator.standardize)
    df = elastic_net_degrees_of_freedom(
        X_df,
        h,
        to_scaled_units(cv.coef_, scales),
        cv.alpha_,
        cv.l1_ratio_,
        v,
        estimator.fit_intercept,
    )
    return noise_from_cv_fit(rss, df, n, estimator.fit_intercept)


@inherit_entries(ElasticNetIC, ElasticNet)
class LassoIC(ElasticNetIC):
    """Lasso with alpha chosen by AIC, BIC or extended BIC; ``df`` = non-zero count.

    :class:`ElasticNetIC` with ``l1_ratio=1``. Unlike scikit-learn's ``LassoLarsIC``
    it works along the coordinate-descent path (any ``alphas`` grid, sample and
    penalty weights, sparse ``X``) and estimates the noise variance when ``p >= n``.
    """

    _l1_ratio_fixed = 1.0

    def __init__(
        self,
        *,
        criterion="bic",
        ebic_gamma=0.5,
        noise_variance="auto",
        alphas=100,
        eps=1e-3,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-6,
        positive=False,
        penalty_weights=None,
        relax=False,
        standardize=False,
    ):
        super().__init__(
            l1_ratio=1.0,
            criterion=criterion,
            ebic_gamma=ebic_gamma,
            noise_variance=noise_variance,
            alphas=alphas,
            eps=eps,
            fit_intercept=fit_intercept,
            precompute=precompute,
            max_iter=max_iter,
            tol=tol,
            positive=positive,
            penalty_weights=penalty_weights,
            relax=relax,
            standardize=standardize,
        )
