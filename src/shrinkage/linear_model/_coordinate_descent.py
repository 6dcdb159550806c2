"""``Lasso`` and ``ElasticNet``: drop-in for scikit-learn's, with penalty factors."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import MultiOutputMixin, RegressorMixin
from sklearn.utils import check_random_state

from .._docs import inherit_entries
from .._fitted import warm_start_coef
from .._validation import (
    GRAM_OF_UNSCALED_X,
    DataOverflowError,
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    check_precomputed_gram,
    check_sample_weight,
)
from ..solvers.least_squares import SolveInfo
from ..solvers.problems import LeastSquaresProblem
from ..solvers.standardize import (
    coefficient_constraint,
    standardize_design,
    to_original_units,
    to_scaled_units,
)
from ..solvers.step import solve_and_check
from ._base import LinearModelBase, check_finite_target, validated_fit_input


class _PathFunction:
    """``Estimator.path``, scikit-learn's static method: :func:`shrinkage.path.enet_path`
    or ``lasso_path``, imported when first read (a fit does not need
    :mod:`shrinkage.path`, which loads every datafit)."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, instance, owner=None):
        from .. import path

        return getattr(path, self.name)


class ElasticNet(MultiOutputMixin, RegressorMixin, LinearModelBase):
    """Linear regression with combined L1 and L2 penalties, by coordinate descent.

    Minimizes scikit-learn's objective

    .. math::

        \\frac{1}{2 n}\\sum_i s_i (y_i - \\beta_0 - x_i^\\top\\beta)^2
        + \\alpha \\sum_j v_j\\Big(\\rho|\\beta_j| + \\frac{1-\\rho}{2}\\beta_j^2\\Big)

    with ``ρ = l1_ratio``, per-feature factors ``v = penalty_weights`` (default 1)
    and sample weights ``s`` rescaled to sum to ``n``. With ``v = 1`` this is exactly
    ``sklearn.linear_model.ElasticNet``: same parameters, same meaning, same
    coefficients to solver tolerance.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, ``>= 0``.
    l1_ratio : float, default=0.5
        Mix in [0, 1]: 1 is the lasso, 0 is ridge.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (by centring ``X`` and ``y`` with the weighted
        means; sparse ``X`` is centred implicitly and never densified).
    precompute : "auto" or bool, default="auto"
        Solve on the Gram matrix ``XᵀX`` (glmnet's covariance updates). "auto" uses
        it for dense data with ``n_samples > 2·n_features``, forming only the rows of
        the features that enter the working set (the whole matrix once most do);
        ``True`` forms the whole matrix first.
    max_iter : int, default=1000
        Most coordinate-descent sweeps.
    copy_X : bool, default=True
        ``X`` is never modified, except with ``copy_X=False`` and
        ``fit(..., check_input=False)``, where it is centred in place (as scikit-learn).
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol·Σ sᵢ(yᵢ − ȳ)²/n``
        (scikit-learn's rule).
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    positive : bool, default=False
        Constrain coefficients to be ``>= 0``.
    random_state : int, RandomState or None
        Seed of the coordinate order when ``selection="random"``.
    selection : {"cyclic", "random"}, default="cyclic"
    penalty_weights : array-like of shape (n_features,), optional
        Per-feature penalty factors ``v_j >= 0``; 0 leaves a feature unpenalized
        (glmnet's ``penalty.factor``).
    standardize : bool, default=False
        glmnet's ``standardize=TRUE``: fit in the columns ``x_j / s_j`` (``s_j`` the
        weighted ``1/n`` standard deviation) with the same ``alpha``, i.e. the penalty
        ``α Σ_j v_j (ρ s_j|β_j| + (1−ρ)/2 s_j² β_j²)`` on the original-unit ``β``;
        ``coef_`` is in original units, a constant column gets 0
        (:mod:`shrinkage.solvers.standardize`; docs/parametrizations.md for glmnet's λ).
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        Box constraints ``lower_j ≤ β_j ≤ upper_j`` (glmnet's ``lower.limits`` /
        ``upper.limits``): a scalar or one per feature, ``None`` for unbounded, with
        ``lower ≤ 0 ≤ upper``. In original units, also with ``standardize=True``.
        ``positive=True`` is ``lower_bounds=0``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int or list of int
        Coordinate-descent sweeps over the working set.
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap reached, in the units of the objective above: it certifies the
        solver's float64 iterate. For float32 ``X``, ``coef_`` is that iterate rounded
        to float32 (as scikit-learn stores it), whose own gap can be larger by the
        rounding (about 1e-7 relative).
    sparse_coef_ : scipy.sparse matrix
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has column names.
    """

    _l1_ratio_fixed: float | None = None
    path = _PathFunction("enet_path")

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        copy_X=True,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
        penalty_weights=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def _check_params(self) -> tuple[float, float]:
        alpha = check_nonnegative_scalar(
            self.alpha, "alpha", "Use alpha=0 for ordinary least squares."
        )
        l1_ratio = self._l1_ratio_fixed
        if l1_ratio is None:
            l1_ratio = check_l1_ratio(self.l1_ratio)
        check_nonnegative_scalar(self.tol, "tol")
        check_positive_int(self.max_iter, "max_iter")
        if self.selection not in ("cyclic", "random"):
            raise ValueError(f"selection must be 'cyclic' or 'random', got {self.selection!r}.")
        if not hasattr(self.precompute, "__array__") and not (
            isinstance(self.precompute, (bool, np.bool_)) or self.precompute == "auto"
        ):
            raise ValueError(
                f"precompute must be 'auto', a bool or a Gram matrix, got {self.precompute!r}."
            )
        return alpha, l1_ratio

    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), optional
        check_input : bool
            Input is always checked; as scikit-learn, with ``copy_X=False`` too a
            float ``X`` is centred in place.

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight)) is not None:
            return fitted
        alpha, l1_ratio = self._check_params()
        if alpha == 0:
            warnings.warn(
                "With alpha=0, this algorithm does not converge well. You are advised "
                "to use the LinearRegression estimator",
                UserWarning,
                stacklevel=2,
            )
        if (
            not check_input
            and not self.copy_X
            and self.fit_intercept
            and isinstance(X, np.ndarray)
            and X.dtype.kind == "f"
            and X.ndim == 2
        ):
            # copy_X=False with check_input=False: centre X in place, as scikit-learn
            # does (the documented "X may be overwritten"); the fit is unchanged.
            h_in = check_sample_weight(sample_weight, X.shape[0])
            X -= (h_in @ X).astype(X.dtype)
        try:
            X, y = validated_fit_input(self, X, y, multi_output=True, y_numeric=True)
        except DataOverflowError as error:
            # scikit-learn's words first (code matches on them), then what to do.
            raise ValueError(
                f"Coordinate descent iterations resulted in non-finite parameter values. {error}"
            ) from None
        n_samples, n_features = X.shape
        Y = check_finite_target(y, check_overflow=True).reshape(n_samples, -1)
        h = check_sample_weight(sample_weight, n_samples)
        weights = check_penalty_weights(self.penalty_weights, n_features)
        rng = check_random_state(self.random_state) if self.selection == "random" else None

        precompute = check_precomputed_gram(self.precompute, X, h, self.fit_intercept)
        if isinstance(precompute, str):  # "auto": the design for one fit
            precompute = "single"
        X, scales = standardize_design(X, h, self.standardize)
        if scales is not None and hasattr(self.precompute, "__array__"):
            raise ValueError(GRAM_OF_UNSCALED_X)
        stored_shape = (n_features,) if Y.shape[1] == 1 else (Y.shape[1], n_features)
        previous = warm_start_coef(self, stored_shape)
        if previous is not None:
            previous = to_scaled_units(np.atleast_2d(previous), scales, axis=1)
        constraint = coefficient_constraint(
            n_features, self.lower_bounds, self.upper_bounds, self.positive, scales
        )

        coefs, intercepts, gaps, n_iters = [], [], [], []
        for t in range(Y.shape[1]):
            problem = LeastSquaresProblem(
                X,
                Y[:, t],
                h,
                weights,
                l1_ratio,
                constraint,
                self.fit_intercept,
                precompute,
            )
            start_alpha = problem.alpha_max
            info = None
            if previous is not None:
                problem.set_coef(previous[t])
                start_alpha = alpha
                info = _already_solved(problem, alpha, self.tol)
            if info is None:
                info = solve_and_check(problem, alpha, start_alpha, self.tol, self.max_iter, rng)
            coefs.append(to_original_units(problem.coef, scales))
            intercepts.append(problem.intercept if self.fit_intercept else 0.0)
            gaps.append(info.duality_gap)
            n_iters.append(info.n_iter)

        self._store_coef(coefs, intercepts, np.ndim(y), X.dtype)
        single = Y.shape[1] == 1
        self.dual_gap_ = gaps[0] if single else np.array(gaps)
        self.n_iter_ = n_iters[0] if single else n_iters
        return self

    @property
    def sparse_coef_(self):
        """``coef_`` as a SciPy sparse matrix."""
        return sp.csr_matrix(np.atleast_2d(self.coef_))


def _already_solved(problem, alpha, tol) -> SolveInfo | None:
    """A warm start whose duality gap already meets ``tol``: solved with no sweep
    (``n_iter_ = 0``), as scikit-learn's coordinate descent checks the gap before its
    first sweep; ``None`` when the solver has work to do."""
    gap = problem.duality_gap(alpha)
    if gap <= problem.absolute_tol(tol):
        return SolveInfo(gap, 0, problem.gradient, True)
    return None


@inherit_entries(ElasticNet)
class Lasso(ElasticNet):
    """Linear regression with an L1 penalty: :class:`ElasticNet` with ``l1_ratio=1``.

    Minimizes ``1/(2n) Σ sᵢ(yᵢ − β₀ − xᵢᵀβ)² + α Σ_j v_j |β_j|``: exact zeros,
    hence feature selection. Parameters and attributes as :class:`ElasticNet`
    (without ``l1_ratio``).
    """

    _l1_ratio_fixed = 1.0
    # scikit-learn binds Lasso.path to enet_path (l1_ratio=0.5 unless given) and
    # LassoCV.path to lasso_path; the same here, so the same call gives the same path.
    path = _PathFunction("enet_path")

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        precompute="auto",
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
        penalty_weights=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        super().__init__(
            alpha=alpha,
            l1_ratio=1.0,
            fit_intercept=fit_intercept,
            precompute=precompute,
            max_iter=max_iter,
            copy_X=copy_X,
            tol=tol,
            warm_start=warm_start,
            positive=positive,
            random_state=random_state,
            selection=selection,
            penalty_weights=penalty_weights,
            standardize=standardize,
            lower_bounds=lower_bounds,
            upper_bounds=upper_bounds,
        )
