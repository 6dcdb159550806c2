"""Pieces shared by the scikit-learn estimators.

- :class:`LinearModelBase`: the base of every linear estimator (tags, ``predict``, the
  Dask hook, ``coef_``/``intercept_`` storage); :class:`LinearClassifierMixin` adds
  the classifier's ``decision_function``/``predict``/``predict_proba``.
- :func:`validated_fit_input`, :func:`check_finite_target`: input checks for ``fit``
  with messages that name the fix; :func:`linear_scores`: ``X @ coef_.T + intercept_``.
- :func:`store_coef`: scikit-learn's shape rules for ``coef_`` and ``intercept_``.

The CV estimators add :class:`~._cv.LinearModelCV` (the fold loop, curves, choice and
refit) on top.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, is_regressor
from sklearn.utils.validation import check_is_fitted, validate_data

from .._dispatch import dask_fit, is_dask_collection
from .._fitted import store_coef  # noqa: F401 (re-exported)
from .._validation import (
    MAX_ABS_VALUE,
    check_boolean_parameters,
    check_finite_data,
    check_numeric,
    check_real_target,
)
from ..solvers._scan import all_within
from ..solvers.step import check_finite_solution, warn_not_converged  # noqa: F401 (re-exported)

_SPARSE_FORMATS = ["csr", "csc", "coo"]


def validated_fit_input(estimator, X, y, **options):
    """``validate_data`` for ``fit``, with shrinkage's clear messages for text and NaN.

    ``options``: ``multi_output`` and ``y_numeric`` of ``validate_data`` (others are
    passed through). Inputs that need no conversion take a fast path with the same
    result (:func:`_plain_fit_input`); anything else goes through ``validate_data``.
    """
    check_boolean_parameters(estimator)
    plain = _plain_fit_input(estimator, X, y, **options)
    if plain is not None:
        return plain
    check_numeric(X, "X")
    if y is not None:
        check_real_target(y, "y", numeric=is_regressor(estimator))
    X, y = validate_data(
        estimator,
        X,
        y,
        accept_sparse=_SPARSE_FORMATS,
        dtype=[np.float64, np.float32],
        ensure_all_finite=False,
        **options,
    )
    check_finite_data(X, "X")
    return X, y


def _plain_fit_input(estimator, X, y, multi_output=False, y_numeric=False, **others):
    """``validate_data(estimator, X, y, ...)`` for the common case that needs no work,
    else None.

    The case: ``X`` an ``ndarray`` (not a subclass) or a CSR/CSC matrix or array (of
    those types exactly), of native float64 or float32 with at least one row and
    column, ``y`` a finite ``ndarray`` of native numbers (1-D,
    or 2-D with ``multi_output``) of as many rows. There scikit-learn's checks
    (``check_X_y``: ``check_array`` and ``_check_y``) change nothing but make a 1-D
    ``y`` C-contiguous, and set ``n_features_in_`` and drop ``feature_names_in_``;
    this does the same without their per-call cost (about 0.15 ms, a tenth of a small
    fit). Every other input (lists, pandas, COO, other dtypes, NaN, wrong shapes)
    returns None and gets scikit-learn's own checks and messages.
    """
    if (
        others
        or (type(X) is not np.ndarray and type(X) not in _PLAIN_SPARSE_TYPES)
        or type(y) is not np.ndarray
        or X.ndim != 2
        or X.dtype not in _PLAIN_X_DTYPES
        or y.dtype not in _PLAIN_Y_DTYPES
        or X.shape[0] < 1
        or X.shape[1] < 1
        or y.ndim < 1  # a 0-d y gets scikit-learn's own error
        or y.shape[0] != X.shape[0]
        or not (y.ndim == 1 or (multi_output and y.ndim == 2 and y.shape[1] >= 1))
        or (y.dtype.kind == "f" and not np.isfinite(y).all())
    ):
        return None
    if hasattr(estimator, "feature_names_in_"):  # fitted before on named columns
        del estimator.feature_names_in_
    estimator.n_features_in_ = X.shape[1]
    if sp.issparse(X) or not all_within(X, MAX_ABS_VALUE):  # (one pass when clean)
        check_finite_data(X, "X")
    return X, (y if multi_output else np.ascontiguousarray(y))


# CSR and CSC (matrix or array): accepted as they are by validate_data(accept_sparse=
# ["csr", "csc", "coo"]) when their dtype is too (COO, a 1-D sparse array... take the
# full checks).
_PLAIN_SPARSE_TYPES = (sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array)

# dtypes that scikit-learn's checks keep as they are (``==`` as ``check_array``
# compares them: a byte-swapped float64 is converted, so it is not in the list).
_PLAIN_X_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_PLAIN_Y_DTYPES = (
    *_PLAIN_X_DTYPES,
    *(np.dtype(t) for t in (np.int64, np.int32, np.int16, np.int8)),
    *(np.dtype(t) for t in (np.uint64, np.uint32, np.uint16, np.uint8)),
)


def linear_scores(estimator, X) -> np.ndarray:
    """``X @ coef_.T + intercept_`` for a fitted linear estimator, input checked."""
    check_is_fitted(estimator)
    check_numeric(X, "X")
    X = validate_data(
        estimator,
        X,
        accept_sparse=_SPARSE_FORMATS,
        reset=False,
        ensure_all_finite=False,
        dtype=[np.float64, np.float32],
    )
    check_finite_data(X, "X")
    coef = estimator.coef_
    if sp.issparse(coef):  # after LogisticRegression.sparsify()
        return np.asarray((X @ coef.T).toarray() if sp.issparse(X) else X @ coef.T.toarray()) + (
            estimator.intercept_
        )
    return np.asarray(X @ np.asarray(coef).T) + estimator.intercept_


def class_weights(class_weight, classes, y, sample_weight) -> np.ndarray:
    """scikit-learn's ``compute_class_weight`` with sample weights, on every supported
    scikit-learn version ("balanced": ``Σw / (n_classes · Σw per class)``; its
    ``sample_weight`` argument appeared in 1.7)."""
    from sklearn.utils.class_weight import compute_class_weight

    if isinstance(class_weight, str) and class_weight == "balanced":
        encoded = np.searchsorted(classes, y)
        counts = np.bincount(encoded, weights=sample_weight, minlength=len(classes))
        return counts.sum() / (len(classes) * counts)
    return compute_class_weight(class_weight, classes=classes, y=y)


def check_finite_target(y, check_overflow: bool = False) -> np.ndarray:
    """``y`` as float64, refused (naming the fix) when it holds NaN or infinity.

    ``check_overflow`` also refuses values whose squares overflow (the coordinate-descent
    fits square ``y``).
    """
    values = np.asarray(y, dtype=np.float64)
    if check_overflow or not np.isfinite(values).all():
        check_finite_data(values, "y")
    return values


class LinearModelBase(BaseEstimator):
    """What every shrinkage linear estimator shares.

    - ``__sklearn_tags__``: sparse input accepted (``MultiOutputMixin`` adds multi-output);
    - :meth:`predict`: ``X @ coef_.T + intercept_`` (classifiers override it through
      :class:`LinearClassifierMixin`);
    - :meth:`_dask_fit`: the one hook to the distributed engine (call it first in
      ``fit``);
    - :meth:`_store_coef`: ``coef_`` / ``intercept_`` in scikit-learn's shapes
      (:func:`store_coef`).

    Subclasses list scikit-learn's mixins first and this class last, as scikit-learn's
    own estimators do (``class Lasso(MultiOutputMixin, RegressorMixin, LinearModelBase)``).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _dask_fit(self, X, y, sample_weight=None, offset=None):
        """The fitted estimator when an input is a Dask collection, else None.

        ``fit`` starts with ``if (fitted := self._dask_fit(X, y, sample_weight)) is not
        None: return fitted`` (the hook is a method, not a decorator, so that warnings
        keep pointing at the user's call of ``fit``).
        """
        if not is_dask_collection(X):
            return dask_fit(self, X, y, sample_weight)  # None unless y or the weights are
        bounded = any(getattr(self, name, None) is not None for name in _BOUNDS)
        if bounded or offset is not None:
            what = "lower_bounds/upper_bounds" if bounded else "offset"
            raise NotImplementedError(
                f"{type(self).__name__} with {what} is not available on Dask input yet; "
                f"fit on a NumPy/SciPy X, or without {what}."
            )
        if getattr(self, "standardize", False) is True:
            raise ValueError(
                f"{type(self).__name__}(standardize=True) is not available on Dask input "
                "yet; fit on a NumPy/SciPy X, or standardize the columns first (glmnet's "
                "scales: the weighted standard deviation with the 1/n formula)."
            )
        return dask_fit(self, X, y, sample_weight)

    def _store_coef(self, coefs, intercepts, y_ndim: int, dtype) -> None:
        store_coef(self, coefs, intercepts, y_ndim, dtype)

    def predict(self, X):
        """Predict with the linear model: ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        return linear_scores(self, X)


#: The box-constraint parameters the Dask engine does not offer (refused there).
_BOUNDS = ("lower_bounds", "upper_bounds")


class LinearClassifierMixin(ClassifierMixin):
    """Decision function, labels and probabilities of a (binary or multinomial)
    logistic model with ``coef_`` of shape ``(1 or n_classes, n_features)``."""

    def decision_function(self, X, offset=None):
        """Linear scores ``offset + X @ coef_.T + intercept_`` (one column for binary).

        ``offset`` (glmnet's ``newoffset``: one value per sample for binary, an
        ``(n_samples, n_classes)`` matrix for K classes) is added when given, as the
        GLM regressors' ``predict`` does: a model fitted with an offset predicts
        without one unless it is passed again.
        """
        scores = linear_scores(self, X)
        if scores.shape[1] != 1:
            if offset is not None:
                from ._logistic import check_class_offset

                scores = scores + check_class_offset(offset, *scores.shape)
            return scores
        scores = scores.ravel()
        if offset is not None:
            from ..path import _check_offset

            scores = scores + _check_offset(offset, scores.size)
        return scores

    def predict(self, X, offset=None):
        """Most probable class for each row (``offset``: see :meth:`decision_function`)."""
        scores = self.decision_function(X) if offset is None else self.decision_function(X, offset)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X, offset=None):
        """Class probabilities, columns in the order of ``classes_`` (``offset``: see
        :meth:`decision_function`)."""
        scores = self.decision_function(X) if offset is None else self.decision_function(X, offset)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=1)

    def _predict_proba_lr(self, X):
        """One-vs-rest probabilities (normalized sigmoids), as scikit-learn's helper of
        the same name; :meth:`predict_proba` is the multinomial one."""
        scores = self.decision_function(X)
        p = expit(scores)
        if p.ndim == 1:
            return np.column_stack([1.0 - p, p])
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X, offset=None):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            if offset is None:
                return np.log(self.predict_proba(X))
            return np.log(self.predict_proba(X, offset))
