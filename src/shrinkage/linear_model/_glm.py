"""Generalized linear regressors: Poisson, Gamma and Tweedie with an elastic-net penalty.

Drop-in for scikit-learn's ``PoissonRegressor``, ``GammaRegressor`` and
``TweedieRegressor`` (at ``l1_ratio=0``, their L2 penalty) and equal to R's glmnet
``family="poisson"`` at ``l1_ratio > 0`` (``alpha`` = glmnet's ``lambda``, ``l1_ratio``
= glmnet's ``alpha``). One objective for all of them, with ``h = s / Σ s``
(sample weights normalized to sum to one) and ``η = offset + β₀ + Xβ``:

.. math::

    \\sum_i h_i\\,\\ell(y_i, \\eta_i)
    + \\alpha \\sum_j v_j\\Big(\\rho|\\beta_j| + \\frac{1-\\rho}{2}\\beta_j^2\\Big),

``ℓ`` half the unit deviance up to a constant (:mod:`shrinkage.datafits`): Poisson
``e^η − yη``, Gamma ``y e^{−η} + η``, Tweedie ``e^{(2−p)η}/(2−p) − y e^{(1−p)η}/(1−p)``.
This is scikit-learn's "mean half deviance + alpha/2 ‖w‖²" when ``ρ = 0``.

The fit is proximal Newton (:class:`shrinkage.solvers.glm.GLMProblem`) whatever
``solver`` says; scikit-learn's solver names are accepted so that code written for
it runs unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning

from .._docs import inherit_entries
from .._fitted import warm_start_coef
from .._validation import (
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    check_sample_weight,
)
from ..datafits import Datafit, Gamma, Poisson, Quadratic, Tweedie, TweedieIdentity
from ..path import _check_offset, make_problem
from ..solvers.standardize import (
    coefficient_constraint,
    standardize_design,
    to_original_units,
    to_scaled_units,
)
from ..solvers.step import solve_and_check
from ._base import linear_scores, validated_fit_input

__all__ = ["GammaRegressor", "PoissonRegressor", "TweedieRegressor"]

#: scikit-learn's solver names, plus ours; every one runs the proximal-Newton solver.
SOLVERS = ("newton-cd", "lbfgs", "newton-cholesky")


class _GLMRegressor(RegressorMixin, BaseEstimator):
    """Shared fit / predict / score of the GLM regressors (one datafit each)."""

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.0,
        fit_intercept=True,
        solver="newton-cd",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
        penalty_weights=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    # -- what differs between families ---------------------------------------------
    def _datafit(self) -> Datafit:
        raise NotImplementedError

    def _sklearn_loss_name(self) -> str:
        return type(self._get_loss()).__name__

    def _get_loss(self, xp=None, device=None):
        """scikit-learn's loss object for this family (its tests build references with it)."""
        raise NotImplementedError

    def _tweedie_power(self) -> float:
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        try:  # scikit-learn's rule: the family takes no negative targets
            tags.target_tags.positive_only = not self._get_loss().in_y_true_range(np.array([-1.0]))
        except (ValueError, TypeError):  # invalid power or link: no tag
            pass
        return tags

    # -- fitting -------------------------------------------------------------------
    def _check_params(self) -> tuple[float, float]:
        alpha = check_nonnegative_scalar(self.alpha, "alpha", "Use alpha=0 for no penalty.")
        l1_ratio = check_l1_ratio(self.l1_ratio)
        check_nonnegative_scalar(self.tol, "tol")
        check_positive_int(self.max_iter, "max_iter")
        if self.solver not in SOLVERS:
            raise ValueError(
                f"solver must be one of {', '.join(map(repr, SOLVERS))}, got {self.solver!r}. "
                "All of them run shrinkage's proximal-Newton coordinate descent."
            )
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise ValueError(f"fit_intercept must be a bool, got {self.fit_intercept!r}.")
        return alpha, l1_ratio

    def _check_target(self, datafit: Datafit, y) -> np.ndarray:
        """The datafit's check, with scikit-learn's first sentence (code matches on it)."""
        try:
            return datafit.check_target(y)
        except ValueError as error:
            if "NaN or infinity" in str(error):
                raise
            raise ValueError(
                "Some value(s) of y are out of the valid range of the loss "
                f"{self._sklearn_loss_name()!r}. {error}"
            ) from None

    def fit(self, X, y, sample_weight=None, offset=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Normalized to ``h = s / Σ s`` (as scikit-learn and glmnet).
        offset : array-like of shape (n_samples,), optional
            Fixed part of the linear predictor (glmnet's ``offset``; for counts the log
            of the exposure). ``predict`` adds it only when given one again.

        Returns
        -------
        self
        """
        alpha, l1_ratio = self._check_params()
        datafit = self._datafit()
        X, y = validated_fit_input(self, X, y, y_numeric=True)
        y = self._check_target(datafit, y)
        n_samples, n_features = X.shape
        h = check_sample_weight(sample_weight, n_samples)
        offset = _check_offset(offset, n_samples)
        weights = check_penalty_weights(self.penalty_weights, n_features)
        if sp.issparse(X):
            X = X.tocsc()
        X, scales = standardize_design(X, h, self.standardize)
        constraint = coefficient_constraint(
            n_features, self.lower_bounds, self.upper_bounds, False, scales
        )
        problem = make_problem(
            X,
            y,
            loss=datafit,
            h=h,
            penalty_weights=weights,
            l1_ratio=l1_ratio,
            positive=constraint,
            fit_intercept=self.fit_intercept,
            offset=offset,
        )
        start_alpha = problem.alpha_max
        start = warm_start_coef(self, (n_features,))
        if start is not None:
            if self.fit_intercept and hasattr(problem, "intercept_"):
                problem.intercept_ = float(self.intercept_)
            start = to_scaled_units(start, scales)
            problem.set_coef(problem.box.project(start))
            start_alpha = alpha
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow in line searches
            info = solve_and_check(problem, alpha, start_alpha, self.tol, self.max_iter, warn=False)
        if not info.converged:
            warnings.warn(
                f"{type(self).__name__} did not converge: the KKT violation is above "
                f"tol={self.tol:g} (relative) after max_iter={self.max_iter} Newton steps. "
                "Increase max_iter, loosen tol, or scale the features.",
                ConvergenceWarning,
                stacklevel=2,
            )
        if self.verbose:
            print(
                f"[{type(self).__name__}] {info.n_iter} Newton steps, "
                f"converged={info.converged}, gap={info.duality_gap:.3e}"
            )
        coef = np.asarray(problem.coef, dtype=np.float64)
        intercept = float(problem.intercept) if self.fit_intercept else 0.0
        if (alpha == 0 or not weights.any()) and constraint is False:
            coef, intercept = _minimum_norm(X, h, coef, intercept, self.fit_intercept)
        coef = to_original_units(coef, scales)
        dtype = X.dtype
        self.coef_ = np.asarray(coef, dtype=dtype)
        self.intercept_ = intercept
        self.n_iter_ = int(max(info.n_iter, 1))
        self.dual_gap_ = float(info.duality_gap)
        self.solver_ = "newton-cd"
        self._base_loss = self._get_loss()  # scikit-learn's attribute (its tests read it)
        return self

    # -- prediction ----------------------------------------------------------------
    def _linear_predictor(self, X, offset=None) -> np.ndarray:
        eta = np.asarray(linear_scores(self, X), dtype=np.float64).ravel()
        if offset is not None:
            eta = eta + _check_offset(offset, eta.size)
        return eta

    def predict(self, X, offset=None):
        """Predicted mean ``μ = g⁻¹(offset + β₀ + Xβ)`` (``offset`` optional)."""
        return self._datafit().inverse_link(self._linear_predictor(X, offset))

    def score(self, X, y, sample_weight=None):
        """D², the fraction of deviance explained (as scikit-learn's GLMs).

        ``D² = 1 − D(y, μ̂) / D(y, ȳ)`` with ``D`` the (weighted) Tweedie deviance of
        this family and ``ȳ`` the weighted mean of ``y``; 1 is perfect, 0 is the
        intercept-only model, and it can be negative. NaN when ``y`` is constant
        (``D(y, ȳ) = 0``), as scikit-learn's GLMs.
        """
        from sklearn.metrics import mean_tweedie_deviance

        prediction = self.predict(X)
        y = self._check_target(self._datafit(), y)
        power = self._tweedie_power()
        counted = y if sample_weight is None else y[np.asarray(sample_weight) > 0]
        if counted.size == 0 or np.all(counted == counted[0]):
            # Constant y: no deviance to explain. Checked first: an all-zero count
            # target has mean 0, which the Poisson deviance refuses as a prediction.
            return float("nan")
        null = np.full_like(y, np.average(y, weights=sample_weight), dtype=np.float64)
        null_deviance = mean_tweedie_deviance(y, null, sample_weight=sample_weight, power=power)
        if null_deviance == 0:
            return float("nan")
        deviance = mean_tweedie_deviance(y, prediction, sample_weight=sample_weight, power=power)
        return float(1.0 - deviance / null_deviance)


def _minimum_norm(X, h, coef, intercept, fit_intercept):
    """Unpenalized fits: among the minimizers (all with the same ``η``) the one with the
    smallest ``‖β‖`` (the limit of the ridge solutions as ``alpha → 0``).

    With a rank-deficient ``X`` (``n < p``, or duplicated columns) the minimizers form an
    affine set ``{β : X̃β = X̃β̂}`` (``X̃`` centred by the weighted means when there is an
    intercept, which then absorbs the change); its smallest element is the projection of
    ``β̂`` onto the row space of ``X̃``, ``X̃⁺X̃β̂``. Dense ``X`` only (sparse: unchanged).
    """
    if sp.issparse(X) or coef.size == 0:
        return coef, intercept
    X = np.asarray(X, dtype=np.float64)
    means = h @ X if fit_intercept else np.zeros(X.shape[1])
    centred = X - means
    projected = np.linalg.lstsq(centred, centred @ coef, rcond=None)[0]
    if fit_intercept:
        intercept += float(means @ (coef - projected))
    return projected, intercept


class PoissonRegressor(_GLMRegressor):
    """Poisson regression (log link) with an elastic-net penalty.

    Minimizes the mean half Poisson deviance plus the penalty,

    .. math::

        \\sum_i h_i\\,(e^{\\eta_i} - y_i\\eta_i)
        + \\alpha \\sum_j v_j\\Big(\\rho|\\beta_j| + \\frac{1-\\rho}{2}\\beta_j^2\\Big),
        \\qquad \\eta = \\text{offset} + \\beta_0 + X\\beta,

    with ``h = sample_weight / Σ sample_weight``. ``l1_ratio=0`` (the default) is
    ``sklearn.linear_model.PoissonRegressor``: same parameters, attributes,
    ``predict`` and ``score``. ``l1_ratio=1`` is R's
    ``glmnet(family="poisson", lambda=alpha, standardize=FALSE)``.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, ``>= 0`` (glmnet's ``lambda``).
    l1_ratio : float, default=0.0
        Mix ρ in [0, 1] (glmnet's ``alpha``): 0 is scikit-learn's L2, 1 the lasso.
    fit_intercept : bool, default=True
    solver : {"newton-cd", "lbfgs", "newton-cholesky"}, default="newton-cd"
        Accepted for compatibility; every value runs proximal Newton with coordinate
        descent on the Newton model (``solver_`` says so).
    max_iter : int, default=100
        Most Newton steps.
    tol : float, default=1e-4
        Stop when the largest KKT violation (the gradient for L2) is at most
        ``tol·‖Xᵀ∇F(null model)‖∞`` (relative, so independent of the scale of ``X``).
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_``.
    verbose : int, default=0
    penalty_weights : array-like of shape (n_features,), optional
        Per-feature factors ``v_j >= 0``; 0 leaves a feature unpenalized.
    standardize : bool, default=False
        glmnet's ``standardize=TRUE``: fit in the columns ``x_j / s_j`` (``s_j`` their
        weighted 1/n standard deviation), coefficients returned in original units.
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        Box constraints ``lower_j ≤ β_j ≤ upper_j`` (glmnet's ``lower.limits`` /
        ``upper.limits``): a scalar or one per feature, ``None`` for unbounded, with
        ``lower ≤ 0 ≤ upper``; in original units, also with ``standardize=True``.

    Notes
    -----
    With ``alpha=0`` and a rank-deficient dense ``X`` the minimizer is not unique; the
    one returned has the smallest ``‖coef_‖`` (the ridge limit ``alpha → 0``; as
    scikit-learn's solvers started from zero).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Newton steps taken.
    dual_gap_ : float
        Duality gap at the solution (objective units).
    solver_ : str
        ``"newton-cd"``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    """

    def _datafit(self) -> Datafit:
        return Poisson()

    def _get_loss(self, xp=None, device=None):
        from sklearn._loss.loss import HalfPoissonLoss

        return HalfPoissonLoss()

    def _tweedie_power(self) -> float:
        return 1.0


@inherit_entries(PoissonRegressor)
class GammaRegressor(_GLMRegressor):
    """Gamma regression (log link) with an elastic-net penalty.

    :class:`PoissonRegressor` with ``ℓ(y, η) = y e^{−η} + η`` (half the Gamma deviance
    up to a constant), ``y > 0``. ``l1_ratio=0`` is
    ``sklearn.linear_model.GammaRegressor``. Parameters and attributes as
    :class:`PoissonRegressor`.
    """

    def _datafit(self) -> Datafit:
        return Gamma()

    def _get_loss(self, xp=None, device=None):
        from sklearn._loss.loss import HalfGammaLoss

        return HalfGammaLoss()

    def _tweedie_power(self) -> float:
        return 2.0


@inherit_entries(PoissonRegressor)
class TweedieRegressor(_GLMRegressor):
    """Tweedie regression with an elastic-net penalty.

    :class:`PoissonRegressor` with half the Tweedie deviance of ``power`` ``p``:
    0 normal, 1 Poisson, ``(1, 2)`` compound Poisson-Gamma, 2 Gamma, 3 inverse
    Gaussian. ``l1_ratio=0`` is ``sklearn.linear_model.TweedieRegressor``.

    Parameters
    ----------
    power : float, default=0.0
        Not in ``(0, 1)``.
    alpha : float, default=1.0
    l1_ratio : float, default=0.0
    fit_intercept : bool, default=True
    link : {"auto", "identity", "log"}, default="auto"
        "auto" is identity for ``power <= 0`` and log otherwise (scikit-learn's rule).
        With the identity link and ``power > 0`` the mean ``η`` must stay positive
        (the solver keeps it so; predictions outside the training range may not be).
    solver, max_iter, tol, warm_start, verbose, penalty_weights
        As :class:`PoissonRegressor`.
    """

    def __init__(
        self,
        *,
        power=0.0,
        alpha=1.0,
        l1_ratio=0.0,
        fit_intercept=True,
        link="auto",
        solver="newton-cd",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
        penalty_weights=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        super().__init__(
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
            verbose=verbose,
            penalty_weights=penalty_weights,
            standardize=standardize,
            lower_bounds=lower_bounds,
            upper_bounds=upper_bounds,
        )
        self.power = power
        self.link = link

    def _link(self) -> str:
        if self.link not in ("auto", "identity", "log"):
            raise ValueError(f"link must be 'auto', 'identity' or 'log', got {self.link!r}.")
        if self.link == "auto":
            return "identity" if self.power <= 0 else "log"
        return self.link

    def _datafit(self) -> Datafit:
        link = self._link()
        if link == "identity":
            return Quadratic() if self.power == 0 else TweedieIdentity(self.power)
        return Tweedie(self.power)

    def _get_loss(self, xp=None, device=None):
        from sklearn._loss.loss import HalfTweedieLoss, HalfTweedieLossIdentity

        if self._link() == "identity":
            return HalfTweedieLossIdentity(power=self.power)
        return HalfTweedieLoss(power=self.power)

    def _tweedie_power(self) -> float:
        return float(self.power)
