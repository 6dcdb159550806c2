"""Products of a float32 design with float64 vectors, accumulated in float64.

NumPy has no BLAS routine for ``float32 @ float64``: ``X.T @ w`` with a float32 ``X``
falls back to its generic loop (or copies ``X`` to float64 first), 4 to 9 times the time
of the float64 product (1000x1000: 7 ms against 1 ms; 10000x1000 C-ordered: 0.4 s). A
single fit on float32 data pays that for every full gradient ``X̃ᵀHr`` (the KKT check),
every residual ``z − X̃β`` and the column means. These kernels read ``X`` once, in its
own layout, and accumulate in float64 (exact products of float32 values, float64
rounding of the sums); float64 designs keep BLAS for ``Xᵀw`` (:func:`xt_dot` returns
``X.T @ w`` for them), while a Fortran-ordered float64 ``X`` times a subset of its
columns takes the compiled column pass too (:func:`x_dot_subset`: no gathered copy).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit


@njit(cache=True, nogil=True)
def _xt_dot_rows(X, w):
    # C order: out += w_i x_i row by row (the loop over j vectorizes, each out_j is
    # a sequential sum over i).
    n, p = X.shape
    out = np.zeros(p)
    for i in range(n):
        wi = w[i]
        for j in range(p):
            out[j] += X[i, j] * wi
    return out


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _xt_dot_columns(X, w):
    # Fortran order: one dot product per column, vectorized over i (reassociated: its
    # bits differ from the row-wise kernel's in the last place; a strictly sequential
    # sum per column runs 2.5 times slower).
    n, p = X.shape
    out = np.empty(p)
    for j in range(p):
        s = 0.0
        for i in range(n):
            s += X[i, j] * w[i]
        out[j] = s
    return out


@njit(cache=True, nogil=True)
def _x_dot_subset_columns(X, features, coef):
    # Fortran order: Σ_k coef_k x_{f_k}, column by column.
    n = X.shape[0]
    out = np.zeros(n)
    for k in range(features.shape[0]):
        j = features[k]
        c = coef[k]
        for i in range(n):
            out[i] += X[i, j] * c
    return out


@njit(cache=True, nogil=True)
def _x_dot_subset_rows(X, features, coef):
    # C order: the same sums (sequential over k), row by row.
    n = X.shape[0]
    out = np.zeros(n)
    for i in range(n):
        s = 0.0
        for k in range(features.shape[0]):
            s += X[i, features[k]] * coef[k]
        out[i] = s
    return out


def xt_dot(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``Xᵀw`` in float64 for a dense ``X`` (float64: BLAS; float32, C- or
    Fortran-contiguous: one pass, float64 sums)."""
    w = np.ascontiguousarray(w, dtype=np.float64)
    if X.dtype == np.float32:
        if X.flags.c_contiguous:
            return _xt_dot_rows(X, w)
        if X.flags.f_contiguous:
            return _xt_dot_columns(X, w)
    return np.asarray(X.T @ w, dtype=np.float64)


def x_dot_subset(X: np.ndarray, features: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``X[:, features] @ coef = Σ_k coef_k x_{f_k}`` in float64, for a dense ``X``.

    The route per layout and dtype is the fastest measured (CPU, one thread, 10 to
    400 of the columns of 300x3000 to 20000x500):

    - Fortran order, float32 or float64: one compiled pass over the selected columns
      (0.08 to 0.46 of the time of NumPy's gathered copy ``X[:, features]`` then its
      product; for float32 NumPy has no mixed-precision BLAS routine either);
    - C order, float32: one compiled pass over the rows (0.14 to 0.95 of NumPy's);
    - anything else: NumPy. For C-ordered float64 the row pass won on tall ``X``
      (0.19 to 0.74 of the time) but lost on wide ``X`` (up to 1.36 times), and the
      solvers send it Fortran order except for the few calls of a tall single fit on
      the working set's Gram block (warm starts, unpenalized features); strided
      views and other dtypes have no compiled pass.

    Both compiled passes add the products in the order of ``features`` (the same bits
    for either layout); NumPy's BLAS product may round differently in the last place.
    """
    coef = np.ascontiguousarray(coef, dtype=np.float64)
    compiled = X.dtype == np.float32 or (X.dtype == np.float64 and X.flags.f_contiguous)
    if compiled:
        features = np.ascontiguousarray(features, dtype=np.int64)
        if X.flags.f_contiguous:
            return _x_dot_subset_columns(X, features, coef)
        if X.flags.c_contiguous:
            return _x_dot_subset_rows(X, features, coef)
    return np.asarray(X[:, features] @ coef, dtype=np.float64)
