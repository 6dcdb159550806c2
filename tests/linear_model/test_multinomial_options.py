"""Multinomial logistic regression with glmnet's ``offset`` (an ``n × K`` matrix) and
``lower.limits`` / ``upper.limits`` (every class coefficient of a feature bounded).

Independent references:

* R's glmnet 4.1-6 (``tests/reference/glmnet/multinomial_options.json``, made by
  ``scripts/glmnet_reference.R`` at ``thresh=1e-30``), to 1e-6 at every λ: glmnet's λ
  is ``alpha = 1/(C·Σw)``, its ``alpha`` our ``l1_ratio``;
* SciPy's L-BFGS-B on the smooth split form ``B = B⁺ − B⁻`` (``0 ≤ B⁺ ≤ upper``,
  ``0 ≤ B⁻ ≤ −lower``), the objective written in NumPy;
* the KKT conditions (with the box's normal cone; group KKT for the grouped penalty);
* duality gaps that bound the suboptimality ``P(B) − P(B*)`` with an offset.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

import shrinkage as sk

REFERENCE = Path(__file__).parents[1] / "reference" / "glmnet"
TOL = 1e-6


def _load(name):
    with open(REFERENCE / f"{name}.json") as f:
        return json.load(f)


def _limit(value, unbounded):
    if value is None:
        return None
    return np.asarray([unbounded if v is None else v for v in np.atleast_1d(value)], float)


CASES = _load("multinomial_options")["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_equals_glmnet_at_every_lambda(case):
    data = _load("data_multinomial")
    X, y = np.asarray(data["x"], dtype=float), np.asarray(data["y"])
    args = case["glmnet_args"]
    w = np.asarray(args["weights"], dtype=float) if "weights" in args else None
    offset = np.asarray(args["offset"], dtype=float) if "offset" in args else None
    total = y.size if w is None else w.sum()
    assert case["classes"] == [str(int(c)) for c in np.unique(y)]
    # One sparse run per case keeps the sparse-design path checked at little cost.
    designs = [X, sp.csr_matrix(X)]
    for k, (lam, a0, beta) in enumerate(zip(case["lambda"], case["a0"], case["beta"], strict=True)):
        model = sk.LogisticRegression(
            C=1.0 / (lam * total),
            l1_ratio=args["alpha"],
            multinomial_penalty=args["type.multinomial"],
            standardize=args["standardize"],
            lower_bounds=_limit(args.get("lower.limits"), -np.inf),
            upper_bounds=_limit(args.get("upper.limits"), np.inf),
            tol=1e-11,
            max_iter=1000,
        ).fit(designs[k == 1], y, sample_weight=w, offset=offset)
        beta, a0 = np.asarray(beta), np.asarray(a0)
        # No centring: the penalty (and the box) pick glmnet's representative.
        np.testing.assert_allclose(model.coef_, beta, atol=TOL, rtol=0)
        np.testing.assert_allclose(model.intercept_, a0, atol=TOL, rtol=0)
        if offset is not None:  # glmnet's predict(newoffset=): the offset again
            expected = softmax(offset + a0 + X @ beta.T, axis=1)
            np.testing.assert_allclose(model.predict_proba(X, offset=offset), expected, atol=TOL)
            np.testing.assert_allclose(
                model.predict_log_proba(X, offset=offset), np.log(expected), atol=1e-5
            )
            np.testing.assert_array_equal(
                model.predict(X, offset=offset), model.classes_[expected.argmax(axis=1)]
            )
            np.testing.assert_allclose(
                model.decision_function(X, offset=offset), offset + a0 + X @ beta.T, atol=1e-5
            )


# ----------------------------------------------------------------- SciPy's L-BFGS-B


def _problem(seed=0, n=90, p=5, K=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = rng.integers(0, K, n)
    offset = 0.5 * rng.standard_normal((n, K))
    lower = np.array([-0.1, -1.0, -np.inf, 0.0, -0.05])
    upper = np.array([0.1, np.inf, 0.2, np.inf, 1.0])
    return X, y, offset, lower, upper


def _objective(X, Y, offset, B, b0, alpha, rho):
    eta = offset + b0 + X @ B.T
    loss = np.mean(logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1))
    return loss + alpha * (rho * np.abs(B).sum() + (1 - rho) / 2 * np.sum(B * B))


def _lbfgsb(X, y, offset, lower, upper, alpha, rho):
    """The box-constrained elastic net on the split form, solved by L-BFGS-B."""
    n, p = X.shape
    K = offset.shape[1]
    Y = np.eye(K)[y]
    m = K * p

    def value_and_grad(z):
        Bp, Bm, b0 = z[:m], z[m : 2 * m], z[2 * m :]
        B = (Bp - Bm).reshape(K, p)
        eta = offset + b0 + X @ B.T
        P = softmax(eta, axis=1)
        value = np.mean(logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1))
        value += alpha * (rho * (Bp + Bm).sum() + (1 - rho) / 2 * np.sum(B * B))
        R = (P - Y) / n
        G = (R.T @ X + alpha * (1 - rho) * B).ravel()
        return value, np.concatenate([G + alpha * rho, -G + alpha * rho, R.sum(axis=0)])

    def cap(v):
        return None if v == np.inf else v

    bounds = [(0, cap(u)) for _ in range(K) for u in upper]
    bounds += [(0, cap(-lo)) for _ in range(K) for lo in lower]
    bounds += [(None, None)] * K
    result = minimize(
        value_and_grad,
        np.zeros(2 * m + K),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-12},
    )
    return (result.x[:m] - result.x[m : 2 * m]).reshape(K, p), result.fun


@pytest.mark.parametrize("rho", [1.0, 0.5, 0.0])
def test_offset_and_box_equal_lbfgsb(rho):
    X, y, offset, lower, upper = _problem()
    n = X.shape[0]
    C = 0.5
    alpha = 1.0 / (n * C)
    model = sk.LogisticRegression(
        C=C, l1_ratio=rho, lower_bounds=lower, upper_bounds=upper, tol=1e-10, max_iter=1000
    ).fit(X, y, offset=offset)
    B_ref, f_ref = _lbfgsb(X, y, offset, lower, upper, alpha, rho)
    Y = np.eye(3)[y]
    f_ours = _objective(X, Y, offset, model.coef_, model.intercept_, alpha, rho)
    assert f_ours <= f_ref + 1e-12  # ours is at least as good ...
    np.testing.assert_allclose(model.coef_, B_ref, atol=1e-5)  # ... and the same point
    assert np.all((model.coef_ >= lower) & (model.coef_ <= upper))
    on_bound = np.isclose(model.coef_, lower) | np.isclose(model.coef_, upper)
    assert np.any(on_bound & (model.coef_ != 0))  # the box binds
    # KKT with the normal cone, in NumPy
    P = softmax(offset + model.intercept_ + X @ model.coef_.T, axis=1)
    neg_grad = (Y - P).T @ X / n - alpha * (1 - rho) * model.coef_
    assert np.abs((Y - P).sum(axis=0) / n).max() < 1e-9
    B = model.coef_
    low = np.where(B == 0, -alpha * rho, alpha * rho * np.sign(B))
    high = np.where(B == 0, alpha * rho, alpha * rho * np.sign(B))
    low = np.where(B <= lower, -np.inf, low)
    high = np.where(B >= upper, np.inf, high)
    assert np.max(np.maximum(low - neg_grad, neg_grad - high)) < 1e-9


def test_the_offset_matters():
    """Fitting without the offset gives another model (the tests above could fail)."""
    X, y, offset, _, _ = _problem()
    with_offset = sk.LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10).fit(X, y, offset=offset)
    without = sk.LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10).fit(X, y)
    assert np.abs(with_offset.coef_ - without.coef_).max() > 1e-2
    # A shift common to every class cancels in the softmax: the same model.
    shifted = sk.LogisticRegression(C=0.5, l1_ratio=1.0, tol=1e-10).fit(
        X, y, offset=offset + np.arange(len(y))[:, None]
    )
    np.testing.assert_allclose(shifted.coef_, with_offset.coef_, atol=1e-7)


def _group_kkt(X, Y, offset, B, b0, lam, rho):
    n = X.shape[0]
    R = (Y - softmax(offset + b0 + X @ B.T, axis=1)) / n
    neg_grad = R.T @ X
    worst = np.abs(R.sum(axis=0)).max()
    for j in range(X.shape[1]):
        b = B[:, j]
        norm = np.linalg.norm(b)
        if norm == 0:
            worst = max(worst, np.linalg.norm(neg_grad[:, j]) - lam * rho)
        else:
            target = lam * (rho * b / norm + (1 - rho) * b)
            worst = max(worst, np.abs(neg_grad[:, j] - target).max())
    return worst


@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_grouped_with_offset_satisfies_group_kkt(rho):
    X, y, offset, _, _ = _problem(seed=1)
    n = X.shape[0]
    model = sk.LogisticRegression(
        C=0.1, l1_ratio=rho, multinomial_penalty="grouped", tol=1e-11, max_iter=1000
    ).fit(X, y, offset=offset)
    Y = np.eye(3)[y]
    assert _group_kkt(X, Y, offset, model.coef_, model.intercept_, 10.0 / n, rho) < 1e-9
    assert np.any(np.all(model.coef_ == 0, axis=0))  # some features out for all classes


# ----------------------------------------------------------------- duality gap


@pytest.mark.parametrize(
    "options",
    [
        {"l1_ratio": 1.0},
        {"l1_ratio": 1.0, "lower_bounds": -0.05, "upper_bounds": 0.08},
        {"l1_ratio": 0.5, "lower_bounds": -0.05},
        {"l1_ratio": 1.0, "multinomial_penalty": "grouped"},
    ],
    ids=["ungrouped", "box", "box_elastic", "grouped"],
)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_gap_bounds_the_suboptimality_with_an_offset(options, sign):
    """``dual_gap_ ≥ P(B) − P(B*)`` at every early stop (the offset's term in the dual
    must be there: dropping it moves the gap by ``Σ h θ offset``, of either sign)."""
    X, y, offset, _, _ = _problem(seed=2)
    offset = sign * 2.0 * offset
    n = X.shape[0]
    C = 0.2
    alpha, rho = 1.0 / (n * C), options["l1_ratio"]
    Y = np.eye(3)[y]
    grouped = options.get("multinomial_penalty") == "grouped"

    def primal(model):
        value = _objective(X, Y, offset, model.coef_, model.intercept_, alpha, 0.0)
        value -= alpha * (1 - rho) / 2 * np.sum(model.coef_**2)  # the loss alone
        if grouped:
            norms = np.linalg.norm(model.coef_, axis=0)
            return value + alpha * np.sum(rho * norms + (1 - rho) / 2 * norms**2)
        return value + alpha * np.sum(rho * np.abs(model.coef_) + (1 - rho) / 2 * model.coef_**2)

    best = sk.LogisticRegression(C=C, tol=1e-12, max_iter=1000, **options).fit(X, y, offset=offset)
    assert best.dual_gap_ < 1e-9
    optimum = primal(best)
    for max_iter in (1, 2, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            early = sk.LogisticRegression(C=C, tol=1e-12, max_iter=max_iter, **options).fit(
                X, y, offset=offset
            )
        assert early.dual_gap_ >= primal(early) - optimum - 1e-12


# ----------------------------------------------------------------- CV, warm start


def test_cv_offset_rows_follow_their_folds():
    X, y, offset, lower, upper = _problem(seed=3)
    folds = KFold(3, shuffle=True, random_state=0)
    Cs = [0.05, 0.5]
    cv = sk.LogisticRegressionCV(
        Cs=Cs,
        l1_ratios=(1.0,),
        cv=folds,
        scoring="neg_log_loss",
        lower_bounds=lower,
        upper_bounds=upper,
        tol=1e-10,
        max_iter=1000,
        use_legacy_attributes=False,
    ).fit(X, y, offset=offset)
    for k, (train, test) in enumerate(folds.split(X, y)):
        for i, C in enumerate(Cs):
            fold = sk.LogisticRegression(
                C=C,
                l1_ratio=1.0,
                lower_bounds=lower,
                upper_bounds=upper,
                tol=1e-10,
                max_iter=1000,
            ).fit(X[train], y[train], offset=offset[train])
            P = softmax(offset[test] + fold.intercept_ + X[test] @ fold.coef_.T, axis=1)
            log_loss = -np.mean(np.log(P[np.arange(test.size), y[test]]))
            assert cv.scores_[k, 0, i] == pytest.approx(-log_loss, rel=1e-6)
    final = sk.LogisticRegression(
        C=cv.C_, l1_ratio=1.0, lower_bounds=lower, upper_bounds=upper, tol=1e-10
    ).fit(X, y, offset=offset)
    np.testing.assert_allclose(cv.coef_, final.coef_, atol=1e-6)
    assert np.all((cv.coef_ >= lower) & (cv.coef_ <= upper))


def test_warm_start_in_a_box_reaches_the_same_optimum():
    X, y, offset, lower, upper = _problem(seed=4)
    options = dict(l1_ratio=1.0, lower_bounds=lower, upper_bounds=upper, tol=1e-11)
    cold = sk.LogisticRegression(C=1.0, **options).fit(X, y, offset=offset)
    warm = sk.LogisticRegression(C=10.0, warm_start=True, **options).fit(X, y, offset=offset)
    warm.set_params(C=1.0).fit(X, y, offset=offset)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-7)


# ----------------------------------------------------------------- errors


def test_bad_offsets_and_grouped_bounds_are_refused():
    X, y, offset, _, _ = _problem()
    with pytest.raises(ValueError, match=r"needs \(n_samples, n_classes\) = \(90, 3\)"):
        sk.LogisticRegression().fit(X, y, offset=offset[:, 0])
    with pytest.raises(ValueError, match="one column per class"):
        sk.LogisticRegression().fit(X, y, offset=offset[:, :2])
    with pytest.raises(ValueError, match="NaN or infinity"):
        sk.LogisticRegression().fit(X, y, offset=np.where(offset > 1, np.nan, offset))
    model = sk.LogisticRegression().fit(X, y, offset=offset)
    with pytest.raises(ValueError, match=r"\(n_samples, n_classes\) = \(10, 3\)"):
        model.predict_proba(X[:10], offset=offset[:9])
    with pytest.raises(NotImplementedError, match="multinomial_penalty='ungrouped'"):
        sk.LogisticRegression(l1_ratio=1.0, multinomial_penalty="grouped", upper_bounds=1.0).fit(
            X, y
        )
    # l1_ratio=0: the grouped penalty is the ungrouped ridge, bounds are fine there.
    ridge = sk.LogisticRegression(l1_ratio=0.0, multinomial_penalty="grouped", upper_bounds=0.01)
    assert ridge.fit(X, y).coef_.max() <= 0.01
