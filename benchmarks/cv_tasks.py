"""Cross-validation tasks of ``cv.py``: folds, grids, each library's CV call, exact CV curves.

**LassoCV.** Every library gets the same data (``problems.py``), the same 5 folds
(``KFold(5)`` without shuffling, passed as explicit ``(train, test)`` index pairs or, for
glmnet, as ``groups`` = the fold id, which makes glmnet use ``GroupKFold`` = the same
folds), the same 100-alpha grid computed once on all the data (the grid of the
``lasso_path`` task: ``alpha_max`` down to ``1e-3 alpha_max``, ``1e-2`` for dense_wide and
sparse), in each library's own units, and the per-library tolerance that
``calibrate.py`` found for the 100-alpha lasso path on that problem (~1e-6 relative
suboptimality, ``tolerances.json``). What each library runs:

* shrinkage: ``shrinkage.LassoCV(alphas=grid, cv=folds, tol, n_jobs=1)`` (and, on a
  separate line, ``n_jobs=2``);
* scikit-learn: ``sklearn.linear_model.LassoCV(alphas=grid, cv=folds, tol, n_jobs=1)``;
* celer: ``celer.LassoCV`` 0.7.4 fails with scikit-learn >= 1.7 (it passes ``n_alphas``
  to ``LinearModelCV``), so a loop over the folds with the warm-started ``celer.Lasso``
  path of ``adapters.Celer``, then one ``Lasso`` fit at the chosen alpha;
* glum: ``GeneralizedLinearRegressorCV(alphas=grid, l1_ratio=1, cv=folds, gradient_tol)``
  (it refits the whole path on all the data at the end, as the library does);
* glmnet (python-glmnet): ``ElasticNet(lambda_path=grid, n_splits=5, scoring=MSE)`` fitted
  with ``groups=fold id``, ``y`` scaled as in ``adapters.Glmnet`` (it fits the full-data
  path first, as the library does);
* adelie: a loop over the folds calling ``adelie.grpnet`` on the grid (``cv_grpnet``
  takes neither folds nor a grid: it draws random folds and builds its own path), then
  the path on all the data down to the chosen alpha;
* skglm: a loop over the folds with the warm-started ``skglm.Lasso`` path of
  ``adapters.Skglm``, then one ``Lasso`` fit at the chosen alpha
  (``GeneralizedLinearEstimatorCV`` only takes a number of *shuffled* folds).

Each ``cv_<library>`` call returns ``{"alpha": chosen alpha, "alphas": grid,
"fold_mse": (n_alphas, n_folds) or None, "mean_mse": (n_alphas,) when fold_mse is None,
"extra": {...}}``; the whole call is timed.

**Exact CV curve.** The mean over folds of the test MSE

    CV(alpha) = 1/K sum_k 1/|T_k| sum_{i in T_k} (y_i - b_k(alpha) - x_i^T w_k(alpha))^2

with ``(w_k, b_k)`` shrinkage's path on the training rows of fold ``k`` at ``tol=1e-13``
(the test errors are computed here, not by any library). A library's chosen alpha is
scored by its *regret* ``CV(chosen) - min CV`` against the standard error of the
minimum (:func:`accuracy`).

**RidgeCV.** ``shrinkage.RidgeCV`` against ``sklearn.linear_model.RidgeCV`` on the same
100 alphas (:func:`ridge_grid`), leave-one-out or the same 5 folds; and the time of one
decomposition of the centred data, for scale.

The worker side (:class:`CVWorker`, ``python worker.py LIBRARY cv``) imports only
``worker``, ``adapters``, ``problems``, ``tasks`` and ``timing``, so it also runs in the
numpy-1 environments of adelie and glmnet.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from adapters import ADAPTERS, MAX_SWEEPS, folds_from_ids, kfold_ids
from problems import tiny_problems
from tasks import TASKS
from timing import median_of
from worker import Worker, summarize_warnings

BENCH_DIR = Path(__file__).resolve().parent
CV_CACHE = BENCH_DIR / "_cache" / "cv"
N_FOLDS = 5
N_RIDGE_ALPHAS = 100
#: tolerance of the exact CV curve (shrinkage's path on each fold)
REFERENCE_TOL = 1e-13
#: a different chosen alpha whose exact CV error is within this fraction of the
#: standard error (at the minimum) of the best one counts as a tie, not a disagreement
TIE_FRACTION_OF_SE = 0.01
LASSO_TASK = TASKS["lasso_path"]


# ===================================================================== folds, grids ====
def ridge_grid(X) -> np.ndarray:
    """100 alphas (scikit-learn's Ridge units), ``1e-6 .. 1e4`` times the mean eigenvalue
    of the centred Gram matrix ``||X - mean||_F^2 / p``: wide enough that the LOO optimum
    is inside on every problem here."""
    centred = X - X.mean(axis=0)
    scale = float(np.sum(centred * centred)) / X.shape[1]
    return np.geomspace(1e-6, 1e4, N_RIDGE_ALPHAS) * scale


def test_mse(X, y, coefs, intercepts, test) -> np.ndarray:
    """Test mean squared error at every alpha of a path."""
    predictions = np.asarray(X[test] @ coefs) + np.asarray(intercepts)[None, :]
    return np.mean((predictions - y[test][:, None]) ** 2, axis=0)


# ================================================================ library CV calls ====
def cv_shrinkage(X, y, alphas, foldid, tol, n_jobs=1):
    import shrinkage

    model = shrinkage.LassoCV(alphas=alphas, cv=folds_from_ids(foldid), tol=tol,
                              max_iter=MAX_SWEEPS, n_jobs=n_jobs).fit(X, y)
    return {"alpha": model.alpha_, "alphas": model.alphas_, "fold_mse": model.mse_path_,
            "extra": {"alpha_1se": model.alpha_1se_}}


def cv_sklearn(X, y, alphas, foldid, tol, n_jobs=1):
    from sklearn.linear_model import LassoCV

    model = LassoCV(alphas=alphas, cv=folds_from_ids(foldid), tol=tol, max_iter=MAX_SWEEPS,
                    n_jobs=n_jobs).fit(X, y)
    return {"alpha": model.alpha_, "alphas": model.alphas_, "fold_mse": model.mse_path_}


def cv_celer(X, y, alphas, foldid, tol, n_jobs=1):
    # celer.LassoCV 0.7.4 fails with scikit-learn >= 1.7 (it passes ``n_alphas`` to
    # LinearModelCV), so: its warm-started Lasso path on each fold, as for skglm.
    adapter = ADAPTERS["celer"]()
    return _loop_cv(adapter, X, y, alphas, foldid, tol,
                    lambda best: adapter.single_fit(X, y, float(alphas[best]), tol))


def cv_glum(X, y, alphas, foldid, tol, n_jobs=1):
    from glum import GeneralizedLinearRegressorCV

    model = GeneralizedLinearRegressorCV(
        alphas=np.asarray(alphas), l1_ratio=1.0, family="normal", gradient_tol=tol,
        max_iter=1000, max_inner_iter=MAX_SWEEPS, cv=folds_from_ids(foldid), n_jobs=n_jobs)
    model.fit(X, y)
    # normal deviance with test weights normalized to 1 = test MSE; (folds, l1, alphas)
    return {"alpha": model.alpha_, "alphas": model.alphas_,
            "fold_mse": np.asarray(model.deviance_path_)[:, 0, :].T}


def _loop_cv(adapter, X, y, alphas, foldid, tol, refit):
    fold_mse = np.empty((len(alphas), int(foldid.max()) + 1))
    for k, (train, test) in enumerate(folds_from_ids(foldid)):
        coefs, intercepts = adapter.lasso_path(X[train], y[train], alphas, tol)
        fold_mse[:, k] = test_mse(X, y, coefs, intercepts, test)
    best = int(np.argmin(fold_mse.mean(axis=1)))
    refit(best)
    return {"alpha": float(alphas[best]), "alphas": alphas, "fold_mse": fold_mse}


def cv_skglm(X, y, alphas, foldid, tol, n_jobs=1):
    adapter = ADAPTERS["skglm"]()
    return _loop_cv(adapter, X, y, alphas, foldid, tol,
                    lambda best: adapter.single_fit(X, y, float(alphas[best]), tol))


def cv_adelie(X, y, alphas, foldid, tol, n_jobs=1):
    adapter = ADAPTERS["adelie"]()
    return _loop_cv(adapter, X, y, alphas, foldid, tol,
                    lambda best: adapter.lasso_path(X, y, alphas[: best + 1], tol))


def cv_glmnet(X, y, alphas, foldid, tol, n_jobs=1):
    from glmnet import ElasticNet

    lengths = []

    class CountingElasticNet(ElasticNet):
        """Records how many lambdas each fit returned (glmnet may stop a path early)."""

        def _fit(self, *args, **kwargs):
            fitted = super()._fit(*args, **kwargs)
            lengths.append(len(self.lambda_path_))
            return fitted

    # as adapters.Glmnet: fit y/s with lambda = alpha/s (exact for the lasso)
    s = float(np.std(y))
    model = CountingElasticNet(alpha=1.0, lambda_path=np.asarray(alphas) / s,
                               standardize=False, fit_intercept=True, tol=tol,
                               n_splits=N_FOLDS, scoring="mean_squared_error", n_jobs=n_jobs,
                               max_iter=MAX_SWEEPS * 10)
    model.fit(X, y / s, groups=foldid)
    return {"alpha": float(np.ravel(model.lambda_max_)[0]) * s,
            "alphas": np.asarray(model.lambda_path_) * s,
            "mean_mse": -np.asarray(model.cv_mean_score_) * s**2, "fold_mse": None,
            "extra": {"path_lengths": lengths}}


CV_CALLS = {"shrinkage": cv_shrinkage, "sklearn": cv_sklearn, "skglm": cv_skglm,
            "celer": cv_celer, "glum": cv_glum, "adelie": cv_adelie, "glmnet": cv_glmnet}


def ridge_cv(library, X, y, grid, foldid):
    """RidgeCV of shrinkage or scikit-learn: leave-one-out (foldid None) or K-fold."""
    folds = None if foldid is None else folds_from_ids(foldid)
    if library == "shrinkage":
        from shrinkage import RidgeCV

        model = RidgeCV(alphas=grid, cv=folds, n_jobs=1)
    else:
        from sklearn.linear_model import RidgeCV

        model = RidgeCV(alphas=grid, cv=folds)
    model.fit(X, y)
    return {"alpha": float(model.alpha_), "best_score": float(model.best_score_)}


# ========================================================================== worker ====
def decomposition_times(X, y) -> dict:
    """One decomposition of the centred data, median of 3 each, and shrinkage's
    ``SpectralRidge`` set-up (decomposition + projections)."""
    import scipy.linalg

    from shrinkage.solvers.ridge import SpectralRidge  # private: see the README

    n, p = X.shape
    centred = X - X.mean(axis=0)
    out = {}
    if n > p:
        gram = centred.T @ centred
        out["gram_s"] = median_of(lambda: centred.T @ centred)
        out["eigh_s"] = median_of(lambda: np.linalg.eigh(gram))
        out["decomposition_s"] = out["gram_s"] + out["eigh_s"]
        out["decomposition"] = "eigh(XᵀX) incl. forming XᵀX"
    else:
        out["svd_s"] = median_of(lambda: np.linalg.svd(centred, full_matrices=False))
        out["scipy_gesdd_s"] = median_of(lambda: scipy.linalg.svd(
            centred, full_matrices=False, lapack_driver="gesdd"))
        kernel = centred @ centred.T
        # what scikit-learn's RidgeCV does for n <= p (gcv_mode="eigen")
        out["kernel_eigh_s"] = (median_of(lambda: centred @ centred.T)
                                + median_of(lambda: np.linalg.eigh(kernel)))
        out["decomposition_s"] = out["svd_s"]
        out["decomposition"] = "svd(X, full_matrices=False)"
    out["spectral_ridge_s"] = median_of(lambda: SpectralRidge(X, y[:, None], None, None, True))
    return out


class CVWorker(Worker):
    """Worker ops: ``warmup`` (tiny problems; ``lasso``, ``ridge``, ``n_jobs`` say which
    calls), ``cv`` and ``ridge`` (one timed call), ``decomposition``, ``first_call``."""

    def op_warmup(self, request):
        start = time.perf_counter()
        for problem in tiny_problems(float32=False):  # (cv.py's problems are float64)
            alphas = LASSO_TASK.alphas(problem)
            foldid = kfold_ids(problem.shape[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for n_jobs in request.get("n_jobs", [1]) if request.get("lasso", True) else []:
                    CV_CALLS[self.library](problem.X, problem.y, alphas, foldid, 1e-4, n_jobs)
                if request.get("ridge") and not sp.issparse(problem.X):
                    grid = ridge_grid(problem.X)
                    ridge_cv(self.library, problem.X, problem.y, grid, None)
                    ridge_cv(self.library, problem.X, problem.y, grid, foldid)
        return {"status": "ok", "seconds": time.perf_counter() - start}

    def op_cv(self, request):
        problem = self.problem(request["problem"], request["scale"])
        foldid = None if request.get("foldid") is None else np.asarray(request["foldid"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            if request["op"] == "cv":
                result = CV_CALLS[self.library](
                    problem.X, problem.y, np.asarray(request["alphas"]), foldid,
                    request["tol"], request.get("n_jobs", 1))
            else:
                result = ridge_cv(self.library, problem.X, problem.y,
                                  np.asarray(request["alphas"]), foldid)
            seconds = time.perf_counter() - start
        reply = {"status": "ok", "seconds": seconds, "warnings": summarize_warnings(caught),
                 "alpha": float(result["alpha"]), "extra": result.get("extra", {})}
        if "best_score" in result:
            reply["best_score"] = result["best_score"]
        if request["op"] == "cv":
            fold_mse = result.get("fold_mse")
            mean = result.get("mean_mse")
            if mean is None:
                mean = np.asarray(fold_mse).mean(axis=1)
            reply["mean_mse"] = np.asarray(mean, dtype=float).tolist()
            reply["alphas"] = np.asarray(result["alphas"], dtype=float).tolist()
        return reply

    def op_first_call(self, request):
        """In a fresh process: import, then the first and second fits on diabetes."""
        out = {"status": "ok"}
        start = time.perf_counter()
        __import__("shrinkage" if self.library == "shrinkage" else "sklearn.linear_model")
        out["import_s"] = time.perf_counter() - start
        problem = self.problem("diabetes", 1.0)
        alphas, foldid = LASSO_TASK.alphas(problem), kfold_ids(problem.shape[0])
        grid = ridge_grid(problem.X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for label, call in (
                    ("lasso_cv", lambda: CV_CALLS[self.library](problem.X, problem.y, alphas,
                                                                foldid, 1e-4)),
                    ("ridge_cv", lambda: ridge_cv(self.library, problem.X, problem.y, grid,
                                                  None))):
                for attempt in ("first", "second"):
                    start = time.perf_counter()
                    call()
                    out[f"{label}_{attempt}_s"] = time.perf_counter() - start
        return out

    op_ridge = op_cv

    def op_decomposition(self, request):
        problem = self.problem(request["problem"], request["scale"])
        return {"status": "ok", **decomposition_times(problem.X, problem.y)}


# =================================================================== exact CV curve ====
def exact_cv_curve(name, scale, problem, alphas, foldid) -> dict:
    """Test MSE of shrinkage's path at tol 1e-13 on each fold (cached)."""
    from shrinkage import regularization_path

    suffix = "" if scale == 1.0 else f"_s{scale:g}"
    path = CV_CACHE / f"exact_lasso_cv__{name}{suffix}.npz"
    if path.exists():
        with np.load(path) as data:
            if (data["alphas"].shape == alphas.shape and np.allclose(data["alphas"], alphas)
                    and np.array_equal(data["foldid"], foldid)):
                return {"fold_mse": data["fold_mse"], "seconds": float(data["seconds"])}
    start = time.perf_counter()
    fold_mse = np.empty((len(alphas), int(foldid.max()) + 1))
    for k, (train, test) in enumerate(folds_from_ids(foldid)):
        result = regularization_path(problem.X[train], problem.y[train], alphas=alphas,
                                     tol=REFERENCE_TOL, max_iter=MAX_SWEEPS)
        fold_mse[:, k] = test_mse(problem.X, problem.y, result.coefs, result.intercepts, test)
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, alphas=alphas, foldid=foldid, fold_mse=fold_mse, seconds=seconds)
    return {"fold_mse": fold_mse, "seconds": seconds}


def accuracy(record, alphas, exact_mean, exact_se_at_min) -> dict:
    """Chosen alpha and CV curve of one library against the exact curve."""
    index = int(np.argmin(np.abs(np.log(alphas) - np.log(record["alpha"]))))
    off_grid = abs(alphas[index] - record["alpha"]) > 1e-8 * alphas[index]
    mean = np.asarray(record["mean_mse"])
    lib_alphas = np.asarray(record["alphas"])
    best = int(np.argmin(exact_mean))
    regret = exact_mean[index] - exact_mean[best]
    if index == best:
        verdict = "same alpha"
    elif regret <= TIE_FRACTION_OF_SE * exact_se_at_min:
        verdict = "tie"
    else:
        verdict = "DIFFERENT"
    return {
        "index": index, "off_grid": bool(off_grid),
        "grid_matches": bool(lib_alphas.shape == alphas.shape
                             and np.allclose(lib_alphas, alphas, rtol=1e-9)),
        "own_mse_at_choice": float(mean[index]),
        "exact_mse_at_choice": float(exact_mean[index]),
        "regret_rel": float(regret / exact_mean[best]),
        "regret_in_se": float(regret / exact_se_at_min) if exact_se_at_min > 0 else 0.0,
        "curve_dev_rel": float(np.max(np.abs(mean - exact_mean) / exact_mean)),
        "curve_dev_index": int(np.argmax(np.abs(mean - exact_mean) / exact_mean)),
        "verdict": verdict,
    }


