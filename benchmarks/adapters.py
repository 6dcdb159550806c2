"""One adapter per library, all on shrinkage's objective (see ``objectives.py``).

Every adapter exposes

* ``lasso_path(X, y, alphas, tol)``
* ``enet_path(X, y, alphas, l1_ratio, tol)``
* ``logistic_l1_path(X, y01, alphas, tol)``
* ``single_fit(X, y, alpha, tol)``  (one lasso fit from zero)

each returning ``(coefs, intercepts)`` of shapes ``(n_features, n_alphas)`` and
``(n_alphas,)``, with ``alphas`` in shrinkage's convention (the adapter converts).
All fits have an intercept. A task a library cannot do on this objective raises
``NotImplementedError`` (reported as "n/a").

``tol`` is passed to the library's own stopping criterion, whose meaning differs
from library to library; ``tolerances.json`` holds the values that bring every
library to about the same suboptimality. Libraries are imported lazily: adelie and
glmnet live in their own virtual environments (numpy 1.x) and import only this
module and ``problems.py`` there.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: Generous iteration budgets: accuracy is governed by ``tol``, not by these.
MAX_SWEEPS = 100_000


class Adapter:
    """Base class: a path by warm-started single fits is the default strategy."""

    name = "?"
    #: tolerance used when ``tolerances.json`` has no entry (library default)
    default_tol = 1e-4

    def version(self) -> str:
        raise NotImplementedError

    def lasso_path(self, X, y, alphas, tol):
        return self.enet_path(X, y, alphas, 1.0, tol)

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        raise NotImplementedError

    def logistic_l1_path(self, X, y01, alphas, tol):
        raise NotImplementedError

    def single_fit(self, X, y, alpha, tol):
        return self.lasso_path(X, y, np.array([alpha]), tol)

    def lasso_cv(self, X, y, alphas, tol):
        """5-fold CV over ``alphas`` (``KFold(5)``, no shuffle), then the refit."""
        raise NotImplementedError


def kfold_ids(n_samples: int, n_folds: int = 5) -> np.ndarray:
    """Fold id of each row for ``KFold(n_folds)`` without shuffling (contiguous blocks,
    the first ``n % k`` folds one row longer)."""
    sizes = np.full(n_folds, n_samples // n_folds)
    sizes[: n_samples % n_folds] += 1
    return np.repeat(np.arange(n_folds), sizes)


def folds_from_ids(foldid: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` row indices of each fold id, in fold order."""
    return [(np.flatnonzero(foldid != k), np.flatnonzero(foldid == k))
            for k in range(int(foldid.max()) + 1)]


def cv_folds(n_samples):
    """The folds of the CV task: ``KFold(5)`` without shuffling, as (train, test) pairs."""
    return folds_from_ids(kfold_ids(n_samples))


def _warm_started_path(make_estimator, X, y, alphas, set_alpha=None):
    """Fit ``alphas`` in order with one ``warm_start=True`` estimator."""
    estimator = make_estimator(alphas[0])
    coefs = np.zeros((X.shape[1], len(alphas)))
    intercepts = np.zeros(len(alphas))
    for k, alpha in enumerate(alphas):
        if set_alpha is None:
            estimator.set_params(alpha=alpha)
        else:
            set_alpha(estimator, alpha)
        estimator.fit(X, y)
        coefs[:, k] = np.ravel(estimator.coef_)
        intercepts[k] = np.ravel(estimator.intercept_)[0]
    return coefs, intercepts


# ------------------------------------------------------------------ shrinkage ----------
class Shrinkage(Adapter):
    """``shrinkage.regularization_path`` for paths, ``shrinkage.Lasso`` for one fit."""

    name = "shrinkage"

    def version(self):
        import shrinkage

        return shrinkage.__version__

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        from shrinkage import regularization_path

        result = regularization_path(X, y, l1_ratio=l1_ratio, alphas=alphas, tol=tol,
                                     max_iter=MAX_SWEEPS)
        return result.coefs, result.intercepts

    def logistic_l1_path(self, X, y01, alphas, tol):
        from shrinkage import regularization_path

        result = regularization_path(X, y01, loss="logistic", alphas=alphas, tol=tol,
                                     max_iter=1000)
        return result.coefs, result.intercepts

    def single_fit(self, X, y, alpha, tol):
        from shrinkage import Lasso

        model = Lasso(alpha=alpha, tol=tol, max_iter=MAX_SWEEPS).fit(X, y)
        return model.coef_[:, None], np.array([model.intercept_])

    def lasso_cv(self, X, y, alphas, tol):
        from shrinkage import LassoCV

        model = LassoCV(alphas=alphas, cv=cv_folds(X.shape[0]), tol=tol, max_iter=MAX_SWEEPS,
                        n_jobs=1).fit(X, y)
        return np.asarray(model.coef_)[:, None], np.array([model.intercept_])


# ------------------------------------------------------------------- sklearn -----------
class ScikitLearn(Adapter):
    """Dense: ``enet_path`` on centred data (Gram matrix when n > p, sklearn's 'auto').
    Sparse: a warm-started ``ElasticNet`` (which centres implicitly).
    Logistic: ``LogisticRegression(l1_ratio=1, solver='saga', C=1/(n alpha))``."""

    name = "sklearn"

    def version(self):
        import sklearn

        return sklearn.__version__

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        from sklearn.linear_model import ElasticNet, enet_path

        if sp.issparse(X):
            return _warm_started_path(
                lambda a: ElasticNet(alpha=a, l1_ratio=l1_ratio, tol=tol, max_iter=MAX_SWEEPS,
                                     warm_start=True),
                X, y, alphas)
        x_mean, y_mean = X.mean(axis=0), y.mean()
        _, coefs, _ = enet_path(X - x_mean, y - y_mean, l1_ratio=l1_ratio, alphas=alphas,
                                tol=tol, max_iter=MAX_SWEEPS, precompute="auto")
        return coefs, y_mean - x_mean @ coefs

    def logistic_l1_path(self, X, y01, alphas, tol):
        from sklearn.linear_model import LogisticRegression

        n = X.shape[0]
        return _warm_started_path(
            lambda a: LogisticRegression(C=1.0 / (n * a), l1_ratio=1.0, solver="saga", tol=tol,
                                         max_iter=MAX_SWEEPS, warm_start=True),
            X, y01, alphas,
            set_alpha=lambda est, a: est.set_params(C=1.0 / (n * a)))

    def single_fit(self, X, y, alpha, tol):
        from sklearn.linear_model import Lasso

        gram = not sp.issparse(X) and X.shape[0] > 2 * X.shape[1]
        model = Lasso(alpha=alpha, tol=tol, max_iter=MAX_SWEEPS, precompute=gram).fit(X, y)
        return model.coef_[:, None], np.array([model.intercept_])

    def lasso_cv(self, X, y, alphas, tol):
        from sklearn.linear_model import LassoCV

        # max_iter high enough to converge (at its default it stops early on these).
        model = LassoCV(alphas=alphas, cv=cv_folds(X.shape[0]), tol=tol, max_iter=MAX_SWEEPS,
                        n_jobs=1).fit(X, y)
        return np.asarray(model.coef_)[:, None], np.array([model.intercept_])


def _epoch_based_enet_path(module, X, y, alphas, l1_ratio, tol):
    """skglm and celer share one API: ``Lasso`` / ``ElasticNet`` with ``max_epochs``."""
    def make(a):
        if l1_ratio == 1.0:
            return module.Lasso(alpha=a, tol=tol, warm_start=True, max_epochs=MAX_SWEEPS)
        return module.ElasticNet(alpha=a, l1_ratio=l1_ratio, tol=tol, warm_start=True,
                                 max_epochs=MAX_SWEEPS)

    return _warm_started_path(make, X, y, alphas)


def _epoch_based_single_fit(module, X, y, alpha, tol):
    model = module.Lasso(alpha=alpha, tol=tol, max_epochs=MAX_SWEEPS).fit(X, y)
    return model.coef_[:, None], np.array([model.intercept_])


# --------------------------------------------------------------------- skglm -----------
class Skglm(Adapter):
    """skglm's ``Lasso`` / ``ElasticNet`` / ``SparseLogisticRegression``, warm-started."""

    name = "skglm"

    def version(self):
        import skglm

        return skglm.__version__

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        import skglm

        return _epoch_based_enet_path(skglm, X, y, alphas, l1_ratio, tol)

    def logistic_l1_path(self, X, y01, alphas, tol):
        from skglm import SparseLogisticRegression

        return _warm_started_path(
            lambda a: SparseLogisticRegression(alpha=a, l1_ratio=1.0, tol=tol, warm_start=True,
                                               max_iter=100),
            X, y01, alphas)

    def single_fit(self, X, y, alpha, tol):
        import skglm

        return _epoch_based_single_fit(skglm, X, y, alpha, tol)


# --------------------------------------------------------------------- celer -----------
class Celer(Adapter):
    """celer's ``Lasso`` / ``ElasticNet``, warm-started. Its ``LogisticRegression``
    fits no intercept, so the logistic task is n/a."""

    name = "celer"

    def version(self):
        import celer

        return celer.__version__

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        import celer

        return _epoch_based_enet_path(celer, X, y, alphas, l1_ratio, tol)

    def logistic_l1_path(self, X, y01, alphas, tol):
        raise NotImplementedError("celer.LogisticRegression fits no intercept")

    def single_fit(self, X, y, alpha, tol):
        import celer

        return _epoch_based_single_fit(celer, X, y, alpha, tol)


# ---------------------------------------------------------------------- glum -----------
class Glum(Adapter):
    """``GeneralizedLinearRegressor`` with ``alpha_search=True`` (its own warm-started
    path); ``tol`` is ``gradient_tol``."""

    name = "glum"

    def version(self):
        import glum

        return glum.__version__

    def _fit(self, X, y, alphas, l1_ratio, family, tol):
        from glum import GeneralizedLinearRegressor

        path = len(alphas) > 1
        model = GeneralizedLinearRegressor(
            alpha=[float(a) for a in alphas] if path else float(alphas[0]), alpha_search=path,
            l1_ratio=l1_ratio, family=family, gradient_tol=tol, max_iter=1000,
            max_inner_iter=MAX_SWEEPS)
        model.fit(X, y)  # (a list: glum 3.4 fails on an ndarray alpha)
        if not path:
            return model.coef_[:, None], np.array([model.intercept_])
        return np.asarray(model.coef_path_).T, np.asarray(model.intercept_path_)

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        return self._fit(X, y, alphas, l1_ratio, "normal", tol)

    def logistic_l1_path(self, X, y01, alphas, tol):
        return self._fit(X, y01, alphas, 1.0, "binomial", tol)


# -------------------------------------------------------------------- adelie -----------
class Adelie(Adapter):
    """``adelie.grpnet`` (singleton groups: the elastic net), ``lmda = alpha``,
    ``alpha = l1_ratio``, ``early_exit=False`` so the whole path is solved."""

    name = "adelie"
    default_tol = 1e-7

    def version(self):
        import adelie

        return adelie.__version__

    def _fit(self, X, y, alphas, l1_ratio, family, tol):
        import adelie as ad

        if sp.issparse(X):
            matrix = ad.matrix.sparse(sp.csc_matrix(X), method="naive", n_threads=1)
        else:
            matrix = ad.matrix.dense(np.asfortranarray(X), method="naive", n_threads=1)
        glm = ad.glm.gaussian(y) if family == "gaussian" else ad.glm.binomial(y)
        state = ad.grpnet(X=matrix, glm=glm, alpha=l1_ratio, lmda_path=np.asarray(alphas),
                          tol=tol, irls_tol=tol, early_exit=False, intercept=True,
                          progress_bar=False, n_threads=1)
        coefs = state.betas.toarray().T
        if coefs.shape[1] != len(alphas):
            raise RuntimeError(f"adelie returned {coefs.shape[1]} of {len(alphas)} alphas")
        return coefs, np.asarray(state.intercepts)

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        return self._fit(X, y, alphas, l1_ratio, "gaussian", tol)

    def logistic_l1_path(self, X, y01, alphas, tol):
        return self._fit(X, y01, alphas, 1.0, "binomial", tol)


# -------------------------------------------------------------------- glmnet -----------
class Glmnet(Adapter):
    """python-glmnet (glmnet's Fortran): ``ElasticNet`` / ``LogitNet`` with
    ``lambda_path = alphas``, ``standardize=False``, no cross-validation; ``tol`` is
    glmnet's ``thresh``.

    glmnet's Gaussian solver divides ``y`` by its standard deviation ``s`` and the
    lambdas by ``s``, which is exact for the lasso but not for the ridge part of the
    elastic net. So ``y`` is standardized here and the problem rewritten on that
    scale: with ``y = s y'`` and ``w = s w'`` our objective is ``s^2`` times the
    elastic net in ``y'`` with L1 weight ``alpha l1_ratio / s`` and L2 weight
    ``alpha (1 - l1_ratio)``, i.e. ``lambda' = alpha (l1_ratio/s + 1 - l1_ratio)``,
    ``l1_ratio' = (l1_ratio/s) / (l1_ratio/s + 1 - l1_ratio)``.
    """

    name = "glmnet"
    default_tol = 1e-7

    def version(self):
        from importlib.metadata import version

        return version("glmnet")

    def _fit(self, estimator_class, X, y, alphas, l1_ratio, tol):
        model = estimator_class(alpha=l1_ratio, lambda_path=np.asarray(alphas),
                                standardize=False, fit_intercept=True, tol=tol, n_splits=0,
                                max_iter=MAX_SWEEPS * 10)
        model.fit(X, y)
        coefs = np.asarray(model.coef_path_).reshape(X.shape[1], -1)
        intercepts = np.asarray(model.intercept_path_).ravel()
        if coefs.shape[1] != len(alphas):
            raise RuntimeError(f"glmnet returned {coefs.shape[1]} of {len(alphas)} alphas")
        return coefs, intercepts

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        from glmnet import ElasticNet

        s = float(np.std(y))
        l1_weight = l1_ratio / s
        lambdas = np.asarray(alphas) * (l1_weight + (1.0 - l1_ratio))
        ratio = min(l1_weight / (l1_weight + (1.0 - l1_ratio)), 1.0)
        coefs, intercepts = self._fit(ElasticNet, X, y / s, lambdas, ratio, tol)
        return s * coefs, s * intercepts

    def logistic_l1_path(self, X, y01, alphas, tol):
        from glmnet import LogitNet

        return self._fit(LogitNet, X, y01, alphas, 1.0, tol)


# ------------------------------------------------------------------ R glmnet -----------
_R_SCRIPT = r"""
suppressMessages(library(glmnet))
glmnet.control(fdev = 0)  # never stop the path early
a <- commandArgs(TRUE); d <- a[1]
meta <- scan(file.path(d, "meta.txt"), what = "", quiet = TRUE)
n <- as.integer(meta[1]); p <- as.integer(meta[2]); k <- as.integer(meta[3])
family <- meta[4]; mix <- as.numeric(meta[5]); tol <- as.numeric(meta[6])
kind <- meta[7]; cv <- meta[8] == "cv"
rd <- function(f, what, m) readBin(file.path(d, f), what, m, size = if (what == "integer") 4 else 8)
if (kind == "sparse") {
  suppressMessages(library(Matrix))
  ptr <- rd("indptr.bin", "integer", p + 1); nnz <- ptr[p + 1]
  X <- sparseMatrix(i = rd("indices.bin", "integer", nnz), p = ptr,
                    x = rd("data.bin", "double", nnz), dims = c(n, p), index1 = FALSE)
} else {
  X <- matrix(rd("X.bin", "double", n * p), n, p)
}
y <- rd("y.bin", "double", n); lambda <- rd("lambda.bin", "double", k)
foldid <- if (cv) rd("foldid.bin", "integer", n) else NULL
fit1 <- function(X, y) glmnet(X, y, family = family, alpha = mix, lambda = lambda,
                              standardize = FALSE, intercept = TRUE, thresh = tol, maxit = 1e8)
run <- function(X, y) {
  if (cv) {
    m <- cv.glmnet(X, y, family = family, alpha = mix, lambda = lambda, foldid = foldid,
                   standardize = FALSE, intercept = TRUE, thresh = tol, maxit = 1e8)
    list(beta = as.matrix(coef(m, s = "lambda.min"))[-1, , drop = FALSE],
         a0 = as.matrix(coef(m, s = "lambda.min"))[1, ])
  } else {
    m <- fit1(X, y); list(beta = as.matrix(m$beta), a0 = m$a0)
  }
}
w <- fit1(X[1:min(n, 40), , drop = FALSE], y[1:min(n, 40)])  # warm-up (lazy loading)
timed <- system.time(out <- run(X, y))
seconds <- if (Sys.getenv("BENCH_CLOCK") == "cpu") {
  sum(timed[c("user.self", "sys.self")])  # CPU time: fair on a loaded machine
} else timed[["elapsed"]]
writeBin(as.vector(out$beta), file.path(d, "beta.bin"), size = 8)
writeBin(as.vector(out$a0), file.path(d, "a0.bin"), size = 8)
writeBin(as.double(seconds), file.path(d, "seconds.bin"), size = 8)
"""


class RGlmnet(Adapter):
    """R's glmnet through ``Rscript``: data handed over as raw binary files, timed inside
    R with ``system.time`` (``inner_seconds``), ``glmnet.control(fdev=0)``,
    ``standardize=FALSE``, ``thresh = tol``; ``y`` rescaled for the elastic net as in
    :class:`Glmnet` (same Fortran). Not installed when ``Rscript`` or glmnet is absent."""

    name = "rglmnet"
    default_tol = 1e-7

    def __init__(self):
        self.inner_seconds = None

    def version(self):
        import shutil
        import subprocess

        if shutil.which("Rscript") is None:
            raise ImportError("Rscript not found")
        out = subprocess.run(["Rscript", "-e", 'cat(as.character(packageVersion("glmnet")))'],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise ImportError("R package glmnet not installed")
        return "R glmnet " + out.stdout.strip()

    def _run(self, X, y, lambdas, family, mix, tol, foldid=None):
        import subprocess
        import tempfile
        from pathlib import Path

        n, p = X.shape
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            if sp.issparse(X):
                C = sp.csc_matrix(X)
                C.sort_indices()
                C.data.astype(np.float64).tofile(d / "data.bin")
                C.indices.astype(np.int32).tofile(d / "indices.bin")
                C.indptr.astype(np.int32).tofile(d / "indptr.bin")
                kind = "sparse"
            else:
                np.asarray(X, dtype=np.float64).T.tofile(d / "X.bin")  # column-major
                kind = "dense"
            np.asarray(y, dtype=np.float64).tofile(d / "y.bin")
            np.asarray(lambdas, dtype=np.float64).tofile(d / "lambda.bin")
            if foldid is not None:
                foldid.astype(np.int32).tofile(d / "foldid.bin")
            (d / "meta.txt").write_text(
                f"{n} {p} {len(lambdas)} {family} {mix!r} {tol!r} {kind} "
                f"{'cv' if foldid is not None else 'path'}\n")
            (d / "fit.R").write_text(_R_SCRIPT)
            done = subprocess.run(["Rscript", str(d / "fit.R"), str(d)], capture_output=True,
                                  text=True)
            if done.returncode != 0:
                raise RuntimeError(f"Rscript failed: {done.stderr[-300:]}")
            beta = np.fromfile(d / "beta.bin").reshape(-1, p).T
            a0 = np.fromfile(d / "a0.bin")
            self.inner_seconds = float(np.fromfile(d / "seconds.bin")[0])
        return beta, a0

    def enet_path(self, X, y, alphas, l1_ratio, tol):
        s = float(np.std(y))
        l1_weight = l1_ratio / s
        lambdas = np.asarray(alphas) * (l1_weight + (1.0 - l1_ratio))
        ratio = min(l1_weight / (l1_weight + (1.0 - l1_ratio)), 1.0)
        beta, a0 = self._run(X, y / s, lambdas, "gaussian", ratio, tol)
        if beta.shape[1] != len(alphas):
            raise RuntimeError(f"glmnet returned {beta.shape[1]} of {len(alphas)} alphas")
        return s * beta, s * a0

    def logistic_l1_path(self, X, y01, alphas, tol):
        beta, a0 = self._run(X, y01, np.asarray(alphas), "binomial", 1.0, tol)
        if beta.shape[1] != len(alphas):
            raise RuntimeError(f"glmnet returned {beta.shape[1]} of {len(alphas)} alphas")
        return beta, a0

    def lasso_cv(self, X, y, alphas, tol):
        foldid = (kfold_ids(X.shape[0]) + 1).astype(np.int32)  # R counts from 1
        s = float(np.std(y))
        beta, a0 = self._run(X, y / s, np.asarray(alphas) / s, "gaussian", 1.0, tol, foldid)
        return s * beta, s * a0


ADAPTERS = {cls.name: cls for cls in
            (Shrinkage, ScikitLearn, Skglm, Celer, Glum, Adelie, Glmnet, RGlmnet)}
#: Libraries that need their own virtual environment (they pin numpy < 2).
VENVS = {"adelie": ".venv-adelie", "glmnet": ".venv-glmnet"}
