"""glmnet's covariance updates on the Gram entries of the working set only.

:class:`~._designs.GramDesign` forms the whole ``G = X̃ᵀHX̃`` (``n·p²``) before the first
coordinate update. A single fit at a moderate ``alpha`` needs only the block ``G_WW`` of
its working set ``W`` (a coordinate update of ``j ∈ W`` changes the gradient on ``W`` by
``−Δβ_j G_Wj``), and the KKT check of the other features needs the full gradient
``∇ = X̃ᵀHr`` once per check (``n·p``, from the residual ``r = z − X̃β``). So
:class:`CovarianceDesign` forms ``G_WW`` block by block as ``W`` grows (``n·|W|²`` in
all, by matrix products on the packed columns ``√h (x_j − μ_j)``), and the solvers
(:func:`solve_by_covariance`, compiled per block; :func:`.least_squares.solve_least_squares`
where a feature is unpenalized) grow ``W`` by priority (the largest KKT violations
first, at most doubling it per check: :func:`limit_growth`) instead of admitting every
violator, which at a cold start far below ``alpha_max`` is nearly every feature (the
strong rule ``|∇_j| > 2 l1_j − l1_j(α_max)`` admits all of them once ``α < α_max/2``).
Strongly correlated leading features (:meth:`CovarianceDesign.crowded`) switch to the
whole Gram matrix at once, so the worst case stays near :class:`~._designs.GramDesign`'s
cost. Weakly correlated ones whose working set would pass half the features (a small
alpha: most features enter) hand the fit over to the residual design
(:meth:`~.problems.LeastSquaresProblem.use_residual_design`) from the coefficients
reached: such designs converge in a few sweeps of ``2·n·p`` each, far below forming
``n·p²/2`` of Gram entries. Measured (CPU s, one thread, AR(1) rho 0 / 0.6, single fits
at ``alpha_max/100`` and ``/500``, against scikit-learn's Lasso at its default tol):
5000x700 1.95 / 1.82 -> 0.78 / 0.82 of scikit-learn's time (rho 0.6: 0.84 / 1.32 ->
0.70 / 0.96), 2000x500 2.08 / 2.03 -> 1.10 / 0.96, 10000x300 at ``/500`` 1.62 -> 0.93;
rho 0.9 unchanged (crowded: the whole Gram matrix) but 5000x700 at ``/50`` (0.42 ->
0.77, its leading features not crowded).

Measured (CPU, one thread, ``alpha_max/20``, AR(1) designs, against the whole Gram
matrix first): 2000x500 rho 0 / 0.6 / 0.95: 0.44 / 0.58 / 1.0 of the time; 3162x316 rho
0.6: 0.72; 6325x158 rho 0.6: 0.75; 6325x1581 rho 0 / 0.6: 0.33 / 0.34. For ``n ≤ 2p``
the residual design stays faster (1000x1000 rho 0.6: 2.0 times its time here), so it is
used only where ``n > 2p``.

C-ordered ``X`` (NumPy's default) is gathered row by row into the packed columns (one
pass; :func:`_packed_rows`). For float32 ``X`` the KKT check's residual and gradient come
from one pass over the rows (:func:`_residual_gradient_rows`), and at a tolerance of at
least :data:`ROUNDED_GRAM_TOL` the Gram rows are float32 products
(:meth:`CovarianceDesign.use_single_precision`; the gap stays computed from the exact
float64 gradient; the whole Gram matrix of a crowded design too). 2000x500 float32 at
``alpha_max/20``, ``tol=1e-3``: rho 0.6 7.8 -> 6.3 ms (scikit-learn 6.2 ms), rho 0.95
16.0 -> 10.6 ms (scikit-learn 14.8 ms).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._kernels import cd_gram, centered_column_norms
from ._mixed import x_dot_subset, xt_dot
from .constants import CONSTANT_COLUMN_RATIO_CENTRED

#: The first working set holds at most this many features (besides the non-zeros);
#: each KKT check then adds at most ``max(|W|, MIN_GROWTH)`` violators.
MIN_GROWTH = 32
#: A single fit on float32 ``X`` with a relative tolerance of at least this forms the
#: Gram block by float32 products (:meth:`CovarianceDesign.use_single_precision`): the
#: duality gap they leave is about 4e-7 of ``‖z‖²_H`` (AR(1) designs, n/p 4 to 40).
ROUNDED_GRAM_TOL = 1e-5
#: Once the working set would exceed this fraction of the features, the whole Gram
#: matrix is formed (BLAS's symmetric product on X, no gathered copy) and the set grows
#: without limit: a bound of about 1.25 times GramDesign's cost when most features
#: enter (strongly correlated designs, alphas far below alpha_max).
FULL_FRACTION = 0.5
#: ... or when the first working set's features are this correlated (mean |corr|).
#: (Not when many features outside the working set violate: early in a cold start far
#: below ``alpha_max`` most do, whatever the design. 6325x1581 rho 0 at
#: ``alpha_max/20``: more than half violate at the second check, 357 of 1581 enter in
#: the end; the whole Gram matrix took 0.30 s against 0.10 s growing the block.)
CORRELATED = 0.2
#: How many of the leading features that test looks at.
PROBE = 8


def _crowded(block: np.ndarray) -> bool:
    """Whether the features of the Gram block ``block`` have a mean ``|corr|`` over
    pairs above :data:`CORRELATED`."""
    m = block.shape[0]
    if m < 2:
        return False
    scale = np.sqrt(np.maximum(np.diag(block), 1e-300))
    correlation = np.abs(block) / np.outer(scale, scale)
    return (correlation.sum() - np.trace(correlation)) / (m * (m - 1)) > CORRELATED


def limit_growth(candidates: np.ndarray, score: np.ndarray, limit: int) -> np.ndarray:
    """The ``limit`` candidates of largest ``score`` (all of them if fewer): a boolean
    mask over the features. ``candidates`` is a boolean mask, ``score`` per feature."""
    index = np.flatnonzero(candidates)
    if index.size <= limit:
        return candidates
    keep = index[np.argpartition(-score[index], limit - 1)[:limit]]
    mask = np.zeros_like(candidates)
    mask[keep] = True
    return mask


def _constant_columns_zeroed(norms: np.ndarray, mu: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``norms`` with 0 where a column is constant up to rounding (its centred second
    moment below ``CONSTANT_COLUMN_RATIO_CENTRED`` times its raw one)."""
    raw = norms + mu * mu * h.sum()
    return np.where(norms <= CONSTANT_COLUMN_RATIO_CENTRED * raw, 0.0, norms)


#: Packed blocks of at most this many entries are formed by NumPy (see _packed): the
#: probe columns of a first small fit, not the working-set blocks of larger ones (NumPy's
#: gather and three passes cost more than the kernel's one).
_PACK_NUMPY_MAX_SIZE = 1 << 12


@njit(cache=True, nogil=True)
def _packed_rows(X, features, mu, scale, out):
    # C-ordered X: the packed columns (x_f − μ_f)·s row by row (in float64, stored in
    # out's dtype), into a C-ordered block: contiguous writes, one pass (NumPy's
    # X[:, f] then a Fortran float64 copy is two).
    n = X.shape[0]
    k = features.shape[0]
    for i in range(n):
        s = scale[i]
        for c in range(k):
            out[i, c] = (np.float64(X[i, features[c]]) - mu[c]) * s


@njit(cache=True, nogil=True)
def _residual_gradient_rows(X, target, h, mu, features, coef):
    # C-ordered X, one pass: r_i = z_i − Σ_k (x_{i f_k} − μ_{f_k}) β_k from row i, then
    # ∇ += x_i h_i r_i while the row is in cache (the residual and X̃ᵀHr would read X
    # twice). Returns (X̃ᵀHr, ‖r‖²_H).
    n, p = X.shape
    offset = 0.0
    for k in range(features.shape[0]):
        offset += mu[features[k]] * coef[k]
    out = np.zeros(p)
    norm2 = 0.0
    total = 0.0
    for i in range(n):
        fitted = 0.0
        for k in range(features.shape[0]):
            fitted += X[i, features[k]] * coef[k]
        r = target[i] - (fitted - offset)
        w = h[i] * r
        norm2 += w * r
        total += w
        for j in range(p):
            out[j] += X[i, j] * w
    for j in range(p):
        out[j] -= mu[j] * total
    return out, norm2


class CovarianceDesign:
    """Dense ``X`` with the Gram block of the working set, formed as the set grows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, any layout
    h : ndarray of shape (n_samples,)
        Sample weights summing to one.
    mu : ndarray of shape (n_features,)
        Column centres (the weighted means, or 0 without an intercept).
    target : ndarray of shape (n_samples,)
        ``z``, centred with ``mu``'s weights (or not, with ``mu = 0``).
    """

    #: Tells :func:`.least_squares.solve_least_squares` to grow the working set by
    #: priority (each feature admitted costs a Gram row).
    grows_working_set = True
    #: The dtype of the packed columns whose products form the Gram rows
    #: (:meth:`use_single_precision`).
    gram_dtype = np.float64

    def __init__(self, X: np.ndarray, h: np.ndarray, mu: np.ndarray, target: np.ndarray):
        self.X = X
        self.h, self.mu, self.target = h, mu, target
        # Equal weights w: pack x − μ and scale the products by w (no √h pass).
        equal = bool(np.all(h == h[0]))
        self._weight = float(h[0]) if equal else None
        self._sqrt_h = None if equal else np.sqrt(h)
        self._lipschitz = None
        self.target_norm2 = float(np.dot(h, target * target))
        self.q = self._xt_weighted(target)
        self.grad = self.q.copy()
        self._coef = np.zeros(X.shape[1])
        self._slot_of = np.full(X.shape[1], -1, dtype=np.int64)
        self._cached = np.empty(0, dtype=np.int64)
        self._batches: list[np.ndarray] = []
        self.block = np.empty((0, 0), order="F")

    @property
    def lipschitz(self) -> np.ndarray:
        """``L_j = Σ_i h_i (x_ij − μ_j)²`` of every feature (0 marks a constant column),
        computed when first asked for (one pass over ``X``): the compiled solve reads
        the cached features' from the Gram block instead (:meth:`cached_lipschitz`)."""
        if self._lipschitz is None:
            norms = centered_column_norms(self.X, self.h, self.mu)
            self._lipschitz = _constant_columns_zeroed(norms, self.mu, self.h)
        return self._lipschitz

    def cached_lipschitz(self) -> np.ndarray:
        """``L_j`` of the cached features, in cache order: the Gram block's diagonal."""
        if self._lipschitz is not None:
            return self._lipschitz[self._cached]
        mu = self.mu[self._cached]
        return _constant_columns_zeroed(np.diag(self.block).copy(), mu, self.h)

    def _xt_weighted(self, r: np.ndarray) -> np.ndarray:
        """``X̃ᵀHr`` (one pass over ``X``)."""
        weighted = self.h * r
        # (float64 sums for float32 X: NumPy's mixed product has no BLAS)
        return xt_dot(self.X, weighted) - self.mu * weighted.sum()

    # ----------------------------------------------------------- the Gram block ------
    def _ensure_cached(self, features: np.ndarray) -> None:
        """Add the Gram rows of the features not cached yet: ``G_{N, C∪N}`` by matrix
        products of their packed columns ``√h (x_j − μ_j)`` with themselves (BLAS's
        symmetric product) and with each earlier batch (kept, never copied together)."""
        new = features[self._slot_of[features] < 0]
        if new.size == 0:
            return
        m, k = self._cached.size, new.size
        if m + k > FULL_FRACTION * self.X.shape[1]:
            self._cache_all()
            return
        packed = self._packed(new)
        block = np.empty((m + k, m + k), order="F")
        block[:m, :m] = self.block
        block[m:, m:] = packed.T @ packed
        start = 0
        for batch in self._batches:
            end = start + batch.shape[1]
            cross = packed.T @ batch
            block[m:, start:end] = cross
            block[start:end, m:] = cross.T
            start = end
        if self._weight is not None:
            block[m:, :] *= self._weight
            block[:m, m:] *= self._weight
        self._batches.append(packed)
        self.block = block
        self._slot_of[new] = np.arange(m, m + k)
        self._cached = np.concatenate([self._cached, new])

    def would_fill(self, working_set: np.ndarray) -> bool:
        """Whether caching ``working_set`` (a boolean mask) would pass
        :data:`FULL_FRACTION` of the features: the whole Gram matrix then."""
        return int(np.count_nonzero(working_set)) > FULL_FRACTION * self.X.shape[1]

    def _packed(self, features: np.ndarray) -> np.ndarray:
        """The columns ``√h (x_j − μ_j)`` of ``features`` as a new block: C-ordered from
        C-ordered ``X`` (gathered in one pass, in :attr:`gram_dtype`), else Fortran-ordered
        float64."""
        mu = self.mu[features]
        if self.X.flags.c_contiguous:
            n = self.X.shape[0]
            scale = self._sqrt_h if self._sqrt_h is not None else np.ones(n)
            out = np.empty((n, features.size), dtype=self.gram_dtype)
            if out.size <= _PACK_NUMPY_MAX_SIZE:
                # NumPy's temporaries, the kernel's arithmetic (float64, then rounded
                # to out's dtype): not worth loading the kernel from Numba's cache (~3 ms)
                block = self.X[:, features].astype(np.float64, copy=False)  # (a new array)
                block -= mu
                block *= scale[:, None]
                out[...] = block
            else:
                _packed_rows(self.X, features, mu, scale, out)
            return out
        packed = np.asfortranarray(self.X[:, features], dtype=np.float64)  # (a new array)
        packed -= mu
        if self._sqrt_h is not None:
            packed *= self._sqrt_h[:, None]
        return packed

    def crowded(self) -> bool:
        """Whether the cached features are strongly correlated with one another (mean
        ``|corr|`` over pairs above ``CORRELATED``): then the KKT checks find most
        features violating and admit them batch by batch (AR(1) designs at
        ``alpha_max/20``: ``rho = 0.95`` gives 0.40 to 0.86 on the 8 leading features,
        ``rho ≤ 0.6`` at most 0.11), so the whole Gram matrix is cheaper at once."""
        return _crowded(self.block)

    def _cache_all(self) -> None:
        """Form the whole Gram matrix (as :class:`~._designs.GramDesign`) once the
        working set holds a large part of the features: from then on every feature is
        free to admit, so the solver admits all violators again."""
        from ._designs import full_gram

        everything = np.arange(self.X.shape[1])
        if self.gram_dtype == np.float32:
            # (float32 products of the packed columns, as the blocks before)
            packed = self._packed(everything)
            block = np.asfortranarray(packed.T @ packed, dtype=np.float64)
            if self._weight is not None:
                block *= self._weight
            self.block = block
        else:
            self.block = full_gram(self.X, self.h, self.mu, self.target)[0]
        self._cached = everything
        self._slot_of = self._cached.copy()
        self._batches = []
        self.grows_working_set = False

    @property
    def rounded(self) -> bool:
        """Whether the Gram block holds float32 products: every row cached since
        :meth:`use_single_precision` is (that switch waits for an empty cache, and
        :meth:`exact_block` clears it back to float64)."""
        return self.gram_dtype == np.float32 and self._cached.size > 0

    def use_single_precision(self) -> None:
        """Form the Gram rows from here on by float32 products (BLAS's single-precision
        ``syrk``/``gemm``: half the time and memory traffic), where ``X`` is float32 and
        C-ordered and nothing is cached yet (:attr:`gram_dtype` tells). The products round
        to about 1e-6 of ``‖x̃_j‖‖x̃_k‖``: the solution on the block moves by that much,
        its objective by its square, while the duality gap (from the exact gradient)
        stays a true certificate; :meth:`exact_block` re-forms the rows in float64
        when a tolerance below that rounding is asked for."""
        if self.X.dtype == np.float32 and self.X.flags.c_contiguous and self._cached.size == 0:
            self.gram_dtype = np.float32

    def exact_block(self) -> None:
        """Re-form the cached features' Gram rows by float64 products."""
        cached = self._cached
        self.gram_dtype = np.float64
        self._slot_of[cached] = -1
        self._cached = np.empty(0, dtype=np.int64)
        self._batches = []
        self.block = np.empty((0, 0), order="F")
        self._ensure_cached(cached)

    # ------------------------------------------------------- the design protocol -----
    def set_coef(self, coef: np.ndarray) -> None:
        # Keeps a reference: the solver updates ``coef`` in place.
        self._coef = coef
        nonzero = np.flatnonzero(coef)
        slots = self._slot_of[nonzero]
        if np.any(slots < 0):
            self.gradient()
            return
        # On the support's Gram rows (an extrapolation trial): ∇_C = q_C − G_{C,A} β_A,
        # exact on the cached features, which hold the working set.
        cached = self._cached
        self.grad[cached] = self.q[cached] - self.block[:, slots] @ coef[nonzero]

    def run(self, coef, features, l1, l2, box, active_sweeps, threshold) -> float:
        features = np.asarray(features, dtype=np.int64)
        self._ensure_cached(features)
        cached = self._cached
        local_coef = coef[cached]
        local_grad = self.grad[cached]
        change, _ = cd_gram(
            self.block,
            local_grad,
            local_coef,
            self.cached_lipschitz(),
            l1[cached],
            l2[cached],
            box.lower[cached],
            box.upper[cached],
            self._slot_of[features],
            active_sweeps,
            threshold,
        )
        coef[cached] = local_coef
        self.grad[cached] = local_grad
        return change

    def gradient(self) -> np.ndarray:
        coef = self._coef
        nonzero = np.flatnonzero(coef)
        if nonzero.size == 0:  # (the start: no pass over X)
            self.grad = self.q.copy()
            self.last_residual_norm2 = self.target_norm2
            return self.q.copy()
        if (
            not self.rounded
            and self._cached.size == coef.shape[0]
            and np.all(self._cached == self._slot_of)
        ):
            # The whole Gram matrix is there (in feature order): q − Gβ, O(p·nnz).
            self.grad = self.q - self.block[:, nonzero] @ coef[nonzero]
            self.last_residual_norm2 = self.residual_norm2()
            return self.grad.copy()
        if self.X.dtype == np.float32 and self.X.flags.c_contiguous:
            # Residual and X̃ᵀHr in one pass over the rows, exact on every row (float64
            # X keeps BLAS's product, faster than this loop there).
            self.grad, self.last_residual_norm2 = _residual_gradient_rows(
                self.X, self.target, self.h, self.mu, nonzero, coef[nonzero]
            )
            return self.grad.copy()
        if np.all(self._slot_of[nonzero] >= 0):
            # X̃β from the packed columns (contiguous, centred): O(n·|C|), no gather.
            fitted = np.zeros(self.X.shape[0])
            start = 0
            for batch in self._batches:
                end = start + batch.shape[1]
                fitted += batch @ coef[self._cached[start:end]]
                start = end
            if self._sqrt_h is not None:
                # (rows of weight 0 count nowhere: their residual is left at z)
                np.divide(fitted, self._sqrt_h, out=fitted, where=self._sqrt_h > 0)
            r = self.target - fitted
        else:
            fitted = x_dot_subset(self.X, nonzero, coef[nonzero])
            r = self.target - (fitted - self.mu[nonzero] @ coef[nonzero])
        #: ‖r‖²_H of the exact residual (the full duality gap's, after a check)
        self.last_residual_norm2 = float(np.dot(self.h, r * r))
        self.grad = self._xt_weighted(r)
        return self.grad.copy()

    def gradient_on(self, features: np.ndarray) -> np.ndarray:
        # cd_gram keeps the gradient exact on the working set it sweeps.
        return self.grad[features]

    def residual_norm2(self) -> float:
        # ‖r‖²_H = zᵀHz − 2βᵀq + βᵀGβ = zᵀHz − βᵀq − βᵀ(q − Gβ) (∇ exact on β's support)
        coef = self._coef
        return max(self.target_norm2 - coef @ self.q - coef @ self.grad, 0.0)

    def free_gram(self, free: np.ndarray) -> np.ndarray:
        """``X̃_FᵀHX̃_F`` for the columns ``free`` (the unpenalized block)."""
        self._ensure_cached(np.asarray(free, dtype=np.int64))
        slots = self._slot_of[free]
        return self.block[np.ix_(slots, slots)]

    def gram_product(self, free: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """``X̃ᵀHX̃_F δ`` (all features): the gradient change of ``β_F += δ``."""
        v = x_dot_subset(self.X, free, delta) - self.mu[free] @ delta
        return self._xt_weighted(v)


def gram_blocks_pay(
    X: np.ndarray, h: np.ndarray, target: np.ndarray, fit_intercept: bool = True
) -> bool:
    """Whether one fit on the dense ``X`` (``n > 2p``) should start on the working set's
    Gram blocks (:class:`CovarianceDesign`) rather than on the residual design, which
    :func:`.step._compiled_single_solve` solves in one compiled call (float64 ``X``
    only: float32's residual design is swept by Python rounds). Always with at most
    :data:`MIN_GROWTH` features (the first block is then the whole, small, Gram
    matrix) or more than :data:`~.constants.SMALL_SINGLE_FIT` entries; else never for
    at most :data:`~.constants.TINY_SINGLE_FIT` entries, and in between only when the
    :data:`PROBE` leading features (largest ``|∇_j|`` at zero) are crowded, as
    :meth:`CovarianceDesign.crowded` tests them.

    Measured (CPU ms, one thread, single fits at ``alpha_max/20``, ``/200``,
    ``/2000``, ``benchmarks/single_fit_alphas.py``: AR(1) with ``p/10`` true features
    and noise as large as the signal; SINGLE_FIT_ALPHAS.md): 900x250 rho 0 3.4 / 3.7 /
    3.1 -> 1.9 / 2.5 / 3.0 (scikit-learn 1.8 / 2.7 / 2.7), 1797x64 rho 0.6 1.9 / 2.8 /
    2.7 -> 1.3 / 1.6 / 2.1, 500x200 rho 0 1.5 / 2.1 / 2.9 -> 1.0 / 1.8 / 1.8; rho 0.9
    (crowded) unchanged. The Gram blocks keep the larger designs: the speed map's
    sparse solutions at ``alpha_max/20`` (6325x158 rho 0.6, 15 true features: 5.0 ms on
    the blocks, 11.7 by residual sweeps)."""
    from .constants import SMALL_SINGLE_FIT, TINY_SINGLE_FIT

    n_samples, n_features = X.shape
    if X.dtype != np.float64 or n_features <= MIN_GROWTH:
        return True  # (float32's residual design is swept by Python rounds: no gain)
    if n_samples * n_features <= TINY_SINGLE_FIT:
        return False
    if n_samples * n_features > SMALL_SINGLE_FIT:
        return True
    # (the means of this layout, for the probe only: the design takes them from its own)
    mu = X.T @ h / h.sum() if fit_intercept else np.zeros(n_features)
    weighted = h * target
    gradient = X.T @ weighted - mu * weighted.sum()
    leading = np.argpartition(-np.abs(gradient), PROBE - 1)[:PROBE]
    columns = X.take(leading, axis=1)
    mu_leading = mu[leading]
    # X̃_LᵀHX̃_L = X_LᵀHX_L − (Σh) μ_L μ_Lᵀ, μ = Xᵀh / Σh: no centred copy
    block = (columns * h[:, None]).T @ columns - h.sum() * np.outer(mu_leading, mu_leading)
    return _crowded(block)


def covariance_solve_applies(problem, alpha: float) -> bool:
    """Whether :func:`solve_by_covariance` can solve ``problem`` at ``alpha``: least
    squares on a :class:`CovarianceDesign`, every coordinate penalized (an unpenalized
    one needs :func:`~.least_squares.projected_gap`: the Python solver takes it)."""
    design = getattr(problem, "design", None)
    return (
        type(design) is CovarianceDesign and alpha > 0 and bool(np.all(problem.penalty_weights > 0))
    )


def solve_by_covariance(problem, alpha: float, previous_alpha: float, tol: float, max_iter: int):
    """Minimize at ``alpha`` from the problem's coefficients, ``W`` grown by priority.

    Each outer step solves the problem restricted to the cached features ``C ⊇ W``
    with the compiled Gram path (:func:`._gram_path.gram_path` at one alpha on
    ``G_CC``, ``q_C``: strong rule, rounds of covariance updates, active-set Newton
    steps, Anderson extrapolation, its own KKT check within ``C``), then takes one
    full gradient ``X̃ᵀHr`` from the exact residual: the duality gap of the whole
    problem (a true certificate) and the KKT violators outside ``C``, of which the
    largest ``max(|W|, MIN_GROWTH)`` join ``W``. ``tol`` is relative (as
    :meth:`~.problems.LeastSquaresProblem.solve`).

    Returns
    -------
    SolveInfo or None
        None when the working set would pass half the features of a design that was
        not crowded: the problem's coefficients and gradient are then where this solve
        left them, for :meth:`~.problems.LeastSquaresProblem.use_residual_design`.
    """
    from ..penalties import kkt_violation, screening_score
    from ._gram_path import gram_path
    from .constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR
    from .least_squares import SolveInfo, duality_gap
    from .problems import penalty_strengths, strong_rule_set

    design: CovarianceDesign = problem.design
    coef = problem.coef
    weights = np.ascontiguousarray(problem.penalty_weights, dtype=np.float64)
    box = problem.box
    tol_abs = problem.absolute_tol(tol)
    l1, l2 = penalty_strengths(alpha, problem.l1_ratio, weights)
    l1_old, _ = penalty_strengths(max(previous_alpha, alpha), problem.l1_ratio, weights)
    gradient = problem.gradient
    strong = strong_rule_set(gradient, l1, l1_old, problem.positive)
    score = screening_score(gradient, box) - l1
    working_set = limit_growth(strong, score, MIN_GROWTH) | (coef != 0)
    alpha_start = max(previous_alpha, alpha)
    n_iter, gap = 0, np.inf
    out = (np.empty(1), np.empty(1, dtype=np.int64), np.empty(1, dtype=bool))
    budget_tol = tol_abs
    if tol >= ROUNDED_GRAM_TOL:
        design.use_single_precision()
    # The correlation of the leading features first (a few columns: cheap to waste).
    first = np.flatnonzero(limit_growth(working_set, score, PROBE))
    design._ensure_cached(first)
    if design.grows_working_set and design.crowded():
        design._cache_all()
    while True:
        if design.grows_working_set and design.would_fill(working_set):
            problem.gradient = gradient
            return None  # most features enter a weakly correlated design: hand over
        design._ensure_cached(np.flatnonzero(working_set))
        cached = design._cached
        local = coef[cached]
        gram_path(
            design.block,
            design.q[cached],
            design.target_norm2,
            design.cached_lipschitz(),
            local,
            np.array([alpha]),
            float(alpha_start),
            float(problem.l1_ratio),
            weights[cached],
            box.lower[cached],
            box.upper[cached],
            float(budget_tol),
            int(max(max_iter - n_iter, 1)),
            ACTIVE_SWEEPS,
            ANDERSON_DEPTH,
            SWEEP_THRESHOLD_FLOOR,
            np.empty((1, cached.size)),
            *out,
            float(tol),
            # Active-set Newton steps pay on the small blocks (2000x500 rho 0.6: 12
            # rounds instead of 29); on the whole matrix of a crowded design they cost
            # rounds (rho 0.95: 22 instead of 10, the plain sweeps of GramDesign).
            design.grows_working_set,
        )
        n_iter += int(out[1][0])
        coef[cached] = local
        gradient = design.gradient()
        # (every coordinate is penalized: the gap needs no Lipschitz constant)
        gap = duality_gap(gradient, coef, design.last_residual_norm2, l1, l2, box)
        if gap <= tol_abs or n_iter >= max_iter:
            break
        violation = kkt_violation(gradient, coef, l1, l2, box)
        in_cache = np.zeros_like(working_set)
        in_cache[cached] = True
        violators = ~in_cache & (violation > 0)
        if not violators.any():
            if design.rounded:
                # The gap is at the float32 products' rounding: form them exactly.
                design.exact_block()
                continue
            # The restricted gap is the full one up to rounding: ask for less.
            budget_tol *= 0.1
            if not budget_tol >= 1e-300 * max(design.target_norm2, 1e-300):
                break
            continue
        if design.grows_working_set:
            if design.would_fill(in_cache | violators):
                problem.gradient = gradient
                return None  # (as above: the caller sweeps the residual from here)
            violators = limit_growth(violators, violation, max(cached.size, MIN_GROWTH))
        working_set = in_cache | violators
        alpha_start = alpha  # the restricted problem's solution is at alpha now
    problem.gradient = gradient
    return SolveInfo(float(gap), n_iter, gradient, bool(gap <= tol_abs))
