"""Least squares from weighted moments: ``Σ w xxᵀ``, ``Σ w x y``, ``Σ w y²``, ``Σ w x``, ``Σ w``.

For ``n ≫ p`` the penalized least-squares path needs the data only through these
sums. They add over blocks of rows, so the moments of a training set are those of
all the data minus those of the held-out fold: K-fold cross-validation forms one
``p × p`` matrix instead of K (and the same sums can come from chunked or distributed
data). ``X`` is shifted by the full-data weighted means first, so that subtracting
blocks does not cancel digits when the columns have large means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from ._designs import GramDesign

_CHUNK_ROWS = 4096
# A centred column norm below this fraction of the raw second moment is rounding:
# the column is constant on these rows.
_CONSTANT_RATIO = 1e-12


@dataclass
class Moments:
    """Weighted sums over a set of rows (of ``X − shift``)."""

    weight: float
    x: np.ndarray  # Σ w x            (p,)
    y: float  # Σ w y
    xx: np.ndarray  # Σ w x xᵀ        (p, p)
    xy: np.ndarray  # Σ w x y         (p,)
    yy: float  # Σ w y²

    def __add__(self, other: Moments) -> Moments:
        return Moments(
            self.weight + other.weight,
            self.x + other.x,
            self.y + other.y,
            self.xx + other.xx,
            self.xy + other.xy,
            self.yy + other.yy,
        )

    def __sub__(self, other: Moments) -> Moments:
        return Moments(
            self.weight - other.weight,
            self.x - other.x,
            self.y - other.y,
            self.xx - other.xx,
            self.xy - other.xy,
            self.yy - other.yy,
        )

    @classmethod
    def of_rows(cls, X, y, w, shift_x, shift_y) -> Moments:
        """Moments of ``(X − shift_x, y − shift_y)`` with weights ``w``, in row blocks."""
        p = X.shape[1]
        out = cls(0.0, np.zeros(p), 0.0, np.zeros((p, p)), np.zeros(p), 0.0)
        upper = np.zeros((p, p), order="F")  # Σ w xxᵀ, upper triangle (dsyrk's half)
        for start in range(0, X.shape[0], _CHUNK_ROWS):
            rows = slice(start, start + _CHUNK_ROWS)
            block = X[rows]
            block = block.toarray() if sp.issparse(block) else np.asarray(block, float)
            root = np.sqrt(w[rows])
            scaled = (block - shift_x) * root[:, None]  # √w (x − shift)
            target = (y[rows] - shift_y) * root  # √w (y − shift)
            out.weight += float(np.sum(w[rows]))
            out.x += root @ scaled
            out.y += float(root @ target)
            # Σ w xxᵀ by a symmetric rank-k update: half the work of a general product;
            # accumulated in place on the upper triangle (the lower one stays 0).
            upper = blas.dsyrk(1.0, np.asfortranarray(scaled.T), beta=1.0, c=upper, trans=0,
                               overwrite_c=1)
            out.xy += scaled.T @ target
            out.yy += float(target @ target)
        out.xx = upper + upper.T  # one symmetrization at the end (diagonal counted twice)
        diagonal = np.einsum("ii->i", out.xx)
        diagonal /= 2.0
        return out


class MomentsDesign(GramDesign):
    """:class:`GramDesign` built from moments instead of from ``X``."""

    def __init__(self, moments: Moments, fit_intercept: bool):
        total = moments.weight
        if total <= 0:
            raise ValueError("The training rows have zero total sample weight.")
        mean_x = moments.x / total if fit_intercept else np.zeros_like(moments.x)
        mean_y = moments.y / total if fit_intercept else 0.0
        gram = moments.xx / total - np.outer(mean_x, mean_x)
        self.gram = np.asfortranarray((gram + gram.T) / 2.0)
        self.q = moments.xy / total - mean_x * mean_y
        self.target_norm2 = max(moments.yy / total - mean_y * mean_y, 0.0)
        diagonal = np.diag(self.gram).copy()
        raw = np.diag(moments.xx) / total
        self.lipschitz = np.where(diagonal <= _CONSTANT_RATIO * raw, 0.0, diagonal)
        self.grad = self.q.copy()
        self._coef = np.zeros(self.q.shape[0])
        self.mean_x, self.mean_y = mean_x, mean_y
