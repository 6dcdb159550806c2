"""The stored R glmnet reference numbers are well formed and optimal for our objective.

``tests/reference/glmnet/`` holds the output of ``scripts/glmnet_reference.R`` (R's glmnet
4.1 at ``thresh=1e-14``). These tests do not use shrinkage's solvers: they check, in NumPy,
that glmnet's coefficients satisfy the KKT conditions of the objective the estimators will
minimise, which pins down the λ mapping and the normalisations independently:

* λ (glmnet ``lambda``) = our ``alpha``; glmnet ``alpha`` = our ``l1_ratio``;
* sample weights are normalised to ``h = w / Σw``; the datafit is the h-weighted mean;
* glmnet rescales ``penalty.factor`` to sum to the number of features;
* ``standardize=TRUE``: the KKT conditions hold for the columns scaled by their
  h-weighted 1/n standard deviation (coefficients in original units times that scale),
  with ``lower.limits`` / ``upper.limits`` applying to the original-unit coefficients;
* ``family="gaussian"`` only: the ridge part of the penalty is divided by the h-weighted
  1/n standard deviation of y (glmnet standardises y internally and does not undo it for
  the ℓ2 term), see :func:`gaussian_effective_penalty`; ``"mgaussian"`` (with
  ``standardize.response=FALSE``) has no such factor.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).parent / "reference" / "glmnet"
FAMILIES = ("gaussian", "poisson", "cox", "multinomial", "mgaussian", "binomial")
# The references use thresh=1e-30: glmnet then reaches KKT residuals of 1e-12 or less
# (its criterion is on coefficient changes, not on the gradient; at 1e-14 they are ~1e-6).
KKT_TOL = 1e-10


def load(name: str) -> dict:
    with open(REFERENCE / f"{name}.json") as f:
        return json.load(f)


def load_data(name: str) -> tuple[np.ndarray, np.ndarray]:
    d = load(f"data_{name}")
    return np.asarray(d["x"], dtype=float), np.asarray(d["y"], dtype=float)


def cases(family: str) -> list[dict]:
    return load(family)["cases"]


def case_ids(family: str) -> list[str]:
    return [c["name"] for c in cases(family)]


# ------------------------------------------------------------------ well formed


def test_every_file_is_small_and_parses():
    files = sorted(REFERENCE.glob("*.json"))
    assert {f.stem for f in files} >= set(FAMILIES)
    for f in files:
        assert f.stat().st_size < 1_000_000, f"{f.name} is larger than 1 MB"
        with open(f) as fh:
            json.load(fh)
    assert (REFERENCE / "README.md").exists()


# Extra files of a family: (file stem, family).
EXTRA_FILES = (("multinomial_options", "multinomial"),)


@pytest.mark.parametrize(
    ("stem", "family"), [(f, f) for f in FAMILIES] + list(EXTRA_FILES), ids=lambda v: v
)
def test_family_file_is_well_formed(stem, family):
    obj = load(stem)
    assert obj["family"] == family
    assert obj["versions"]["glmnet"].startswith("4.1")
    assert len(obj["cases"]) >= 3
    for case in obj["cases"]:
        x, y = load_data(case["data"])
        n, p = x.shape
        assert len(y) == n
        lam = np.asarray(case["lambda"])
        assert 3 <= lam.size <= 5
        assert np.all(np.diff(lam) < 0), "glmnet returns lambda in decreasing order"
        assert case["jerr"] == 0
        args = case["glmnet_args"]
        assert args["thresh"] <= 1e-14
        assert isinstance(args["standardize"], bool)
        assert 0 <= args["alpha"] <= 1
        beta = np.asarray(case["beta"], dtype=float)
        assert beta.shape[0] == lam.size and beta.shape[-1] == p
        assert np.all(np.isfinite(beta))
        dev_ratio = np.asarray(case["dev_ratio"])
        assert dev_ratio.shape == lam.shape and np.all((dev_ratio > 0) & (dev_ratio < 1))
        # deviance(fit) is (1 - dev.ratio) * nulldev
        np.testing.assert_allclose(case["deviance"], (1 - dev_ratio) * case["nulldev"], rtol=1e-12)
        if family in ("multinomial", "mgaussian"):
            k = len(case["classes"])
            assert beta.shape == (lam.size, k, p)
            assert np.asarray(case["a0"]).shape == (lam.size, k)
        elif family == "cox":
            assert case["a0"] is None and beta.shape == (lam.size, p)
        else:
            assert beta.shape == (lam.size, p) and np.asarray(case["a0"]).shape == lam.shape


# ------------------------------------------------------------------ KKT conditions


def bounds(value, unbounded: float, p: int) -> np.ndarray:
    """glmnet's limits as stored: absent, a scalar, or one per feature (JSON null = ±Inf)."""
    if value is None:
        value = unbounded
    value = np.asarray([unbounded if v is None else v for v in np.atleast_1d(value)], float)
    return np.broadcast_to(value, p)


def case_setup(case: dict) -> dict:
    """Weights h (Σh = 1), offset, penalty factors, bounds and column scales of a case."""
    args = case["glmnet_args"]
    x, y = load_data(case["data"])
    n, p = x.shape
    w = np.asarray(args.get("weights", np.ones(n)), dtype=float)
    h = w / w.sum()
    vp = np.asarray(args.get("penalty.factor", np.ones(p)), dtype=float)
    vp = vp * p / vp.sum()  # glmnet rescales the factors to sum to p
    lower = bounds(args.get("lower.limits"), -np.inf, p)
    upper = bounds(args.get("upper.limits"), np.inf, p)
    if args["standardize"]:
        mean = h @ x
        scale = np.sqrt(h @ (x - mean) ** 2)  # weighted 1/n standard deviation
    else:
        scale = np.ones(p)
    offset = np.asarray(args.get("offset", np.zeros(n)), dtype=float)
    return dict(x=x, y=y, h=h, vp=vp, lower=lower, upper=upper, scale=scale, offset=offset)


def kkt_violation(grad, beta, l1, l2, lower, upper, scale):
    """Largest violation of the KKT conditions of one coordinate-separable problem.

    Minimise ``f(b) + Σ_j l1_j |b_j| + l2_j / 2 · b_j²`` over ``lower ≤ b ≤ upper`` where
    everything is in the scaled coordinates ``b = beta · scale`` (the gradient of f in
    scaled coordinates is ``grad / scale``). A coordinate is optimal when no feasible
    direction decreases the objective: the one-sided directional derivatives are ≥ 0.
    """
    g = grad / scale + l2 * beta * scale
    b = beta * scale
    lo, up = lower * scale, upper * scale
    d_plus = g + np.where(b >= 0, l1, -l1)  # derivative moving b up
    d_minus = -g + np.where(b <= 0, l1, -l1)  # derivative moving b down
    room = 1e-10 * np.maximum(1.0, np.abs(b))
    can_up = ~(np.isfinite(up) & (b >= up - room))
    can_down = ~(np.isfinite(lo) & (b <= lo + room))
    viol = np.maximum(np.where(can_up, -d_plus, 0.0), np.where(can_down, -d_minus, 0.0))
    # a coordinate stuck on a bound must stay inside it
    viol = np.maximum(viol, np.maximum(b - up, lo - b))
    return float(np.max(viol, initial=0.0))


def gaussian_effective_penalty(lam, alpha, y, h):
    """ℓ1 and ℓ2 strengths that glmnet's gaussian fit actually uses.

    glmnet fits ``y / s_y`` with λ / s_y and rescales the coefficients, where s_y is the
    h-weighted 1/n standard deviation of y. For the original y this is the objective
    ``½ Σ h_i r_i² + λ·alpha·‖b‖₁ + λ·(1 − alpha)/(2 s_y)·‖b‖²``: the ridge part is divided by
    s_y (documented in ``?glmnet``: "glmnet standardizes y to have unit variance").
    """
    s_y = np.sqrt(h @ (y - h @ y) ** 2)
    return lam * alpha, lam * (1 - alpha) / s_y


@pytest.mark.parametrize("name", case_ids("gaussian"))
def test_gaussian_kkt(name):
    case = next(c for c in cases("gaussian") if c["name"] == name)
    s = case_setup(case)
    alpha = case["glmnet_args"]["alpha"]
    for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
        beta = np.asarray(beta)
        r = s["y"] - a0 - s["x"] @ beta
        assert abs(s["h"] @ r) < 1e-12  # the intercept is optimal
        grad = -(s["x"].T @ (s["h"] * r))  # ∂/∂b of ½ Σ h_i r_i²
        l1, l2 = gaussian_effective_penalty(lam, alpha, s["y"], s["h"])
        v = kkt_violation(
            grad, beta, l1 * s["vp"], l2 * s["vp"], s["lower"], s["upper"], s["scale"]
        )
        assert v < KKT_TOL, f"KKT violation {v:.2e} at lambda={lam}"


def test_gaussian_plain_ridge_scaling_is_needed():
    """Without the 1/s_y factor on the ridge part the alpha=0.5 fits are far from optimal,
    so the test above could fail (and the scaling is real, not a tolerance effect)."""
    case = next(c for c in cases("gaussian") if c["name"] == "std_false_alpha05_weights")
    s = case_setup(case)
    lam, a0, beta = case["lambda"][0], case["a0"][0], np.asarray(case["beta"][0])
    r = s["y"] - a0 - s["x"] @ beta
    grad = -(s["x"].T @ (s["h"] * r))
    v = kkt_violation(
        grad, beta, lam * 0.5 * s["vp"], lam * 0.5 * s["vp"], s["lower"], s["upper"], s["scale"]
    )
    assert v > 1e-2


def test_gaussian_matches_sklearn_elasticnet_with_weights():
    """standardize=FALSE, no bounds: glmnet equals scikit-learn's ElasticNet once the ridge
    part carries glmnet's 1/s_y factor (alpha_sk·l1_ratio_sk = λ·alpha,
    alpha_sk·(1 − l1_ratio_sk) = λ·(1 − alpha)/s_y)."""
    from sklearn.linear_model import ElasticNet

    for name in ("std_false_alpha1", "std_false_alpha05_weights"):
        case = next(c for c in cases("gaussian") if c["name"] == name)
        s = case_setup(case)
        alpha = case["glmnet_args"]["alpha"]
        for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
            l1, l2 = gaussian_effective_penalty(lam, alpha, s["y"], s["h"])
            model = ElasticNet(
                alpha=l1 + l2, l1_ratio=l1 / (l1 + l2), tol=1e-14, max_iter=1_000_000
            )
            model.fit(s["x"], s["y"], sample_weight=s["h"] * len(s["y"]))
            np.testing.assert_allclose(model.coef_, beta, atol=1e-6)
            np.testing.assert_allclose(model.intercept_, a0, atol=1e-6)


@pytest.mark.parametrize("name", case_ids("poisson"))
def test_poisson_kkt(name):
    case = next(c for c in cases("poisson") if c["name"] == name)
    s = case_setup(case)
    alpha = case["glmnet_args"]["alpha"]
    for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
        beta = np.asarray(beta)
        mu = np.exp(a0 + s["x"] @ beta + s["offset"])
        # objective Σ h_i (μ_i − y_i η_i) + λ·pen: the h-weighted mean half deviance
        resid = s["h"] * (mu - s["y"])
        assert abs(resid.sum()) < 1e-10
        v = kkt_violation(
            s["x"].T @ resid,
            beta,
            lam * alpha * s["vp"],
            lam * (1 - alpha) * s["vp"],
            s["lower"],
            s["upper"],
            s["scale"],
        )
        assert v < KKT_TOL, f"KKT violation {v:.2e} at lambda={lam}"


@pytest.mark.parametrize("name", case_ids("binomial"))
def test_binomial_kkt(name):
    case = next(c for c in cases("binomial") if c["name"] == name)
    s = case_setup(case)
    alpha = case["glmnet_args"]["alpha"]
    for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
        beta = np.asarray(beta)
        prob = 1.0 / (1.0 + np.exp(-(a0 + s["x"] @ beta + s["offset"])))
        # objective Σ h_i (log(1 + e^η_i) − y_i η_i) + λ·pen: the h-weighted mean loss
        resid = s["h"] * (prob - s["y"])
        assert abs(resid.sum()) < 1e-10
        v = kkt_violation(
            s["x"].T @ resid,
            beta,
            lam * alpha * s["vp"],
            lam * (1 - alpha) * s["vp"],
            s["lower"],
            s["upper"],
            s["scale"],
        )
        assert v < KKT_TOL, f"KKT violation {v:.2e} at lambda={lam}"


def test_bounds_and_offsets_bind_in_the_binomial_cases():
    """The bounds are active somewhere (so the KKT test above checks the normal cone)."""
    for case in cases("binomial"):
        s = case_setup(case)
        if np.all(np.isinf(s["lower"])) and np.all(np.isinf(s["upper"])):
            continue
        beta = np.asarray(case["beta"])
        on_bound = np.isclose(beta, s["lower"]) | np.isclose(beta, s["upper"])
        assert np.any(on_bound & (beta != 0)), case["name"]


def group_kkt_violation(grad, beta, l1, l2, scale):
    """KKT violation of ``f(B) + Σ_j l1 ‖B_j‖₂ + l2/2 ‖B_j‖²`` (B_j: column j, K values)
    in the scaled coordinates ``B_j · scale_j``."""
    g = grad / scale + l2 * beta * scale
    b = beta * scale
    norms = np.linalg.norm(b, axis=0)
    viol = np.zeros(b.shape[1])
    zero = norms == 0
    viol[zero] = np.maximum(np.linalg.norm(g[:, zero], axis=0) - l1, 0)
    nz = ~zero
    viol[nz] = np.linalg.norm(g[:, nz] + l1 * b[:, nz] / norms[nz], axis=0)
    return float(viol.max())


@pytest.mark.parametrize(
    ("stem", "name"),
    [(stem, name) for stem in ("multinomial", "multinomial_options") for name in case_ids(stem)],
)
def test_multinomial_kkt(stem, name):
    """Ungrouped (with glmnet's box on every class coefficient) and grouped; the
    ``multinomial_options`` cases add an ``n × K`` offset and lower/upper limits."""
    case = next(c for c in cases(stem) if c["name"] == name)
    s = case_setup(case)
    offset = s["offset"] if s["offset"].ndim == 2 else s["offset"][:, None]
    args = case["glmnet_args"]
    alpha = args["alpha"]
    classes = np.asarray(case["classes"], dtype=float)
    onehot = (s["y"][:, None] == classes[None, :]).astype(float)
    for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
        beta = np.asarray(beta)  # (K, p)
        eta = offset + np.asarray(a0)[None, :] + s["x"] @ beta.T
        eta -= eta.max(axis=1, keepdims=True)
        prob = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
        resid = s["h"][:, None] * (prob - onehot)  # gradient of −Σ h_i log p_{i,y_i}
        assert np.abs(resid.sum(axis=0)).max() < 1e-10
        grad = resid.T @ s["x"]  # (K, p)
        if args["type.multinomial"] == "grouped":
            v = group_kkt_violation(grad, beta, lam * alpha, lam * (1 - alpha), s["scale"])
        else:
            v = max(
                kkt_violation(
                    grad[k],
                    beta[k],
                    lam * alpha * s["vp"],
                    lam * (1 - alpha) * s["vp"],
                    s["lower"],
                    s["upper"],
                    s["scale"],
                )
                for k in range(len(classes))
            )
        assert v < KKT_TOL, f"KKT violation {v:.2e} at lambda={lam}"


@pytest.mark.parametrize("name", case_ids("mgaussian"))
def test_mgaussian_kkt(name):
    case = next(c for c in cases("mgaussian") if c["name"] == name)
    s = case_setup(case)
    alpha = case["glmnet_args"]["alpha"]
    y = s["y"]
    for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
        beta = np.asarray(beta)  # (K, p)
        r = y - np.asarray(a0)[None, :] - s["x"] @ beta.T
        assert np.abs(s["h"] @ r).max() < 1e-12
        grad = -(s["x"].T @ (s["h"][:, None] * r)).T  # (K, p)
        # unlike "gaussian", the ridge part is λ·(1 − alpha) as written (no 1/s_y factor)
        v = group_kkt_violation(grad, beta, lam * alpha, lam * (1 - alpha), s["scale"])
        assert v < KKT_TOL, f"KKT violation {v:.2e} at lambda={lam}"


def test_multinomial_representative():
    """The multinomial problem is invariant to shifting a feature's K coefficients (and the
    intercepts) by a constant; glmnet returns intercepts summing to 0 and, per feature,
    the penalty-minimising shift: median 0 (ungrouped, alpha=1), sum 0 (grouped)."""
    for case in cases("multinomial"):
        beta, a0 = np.asarray(case["beta"]), np.asarray(case["a0"])  # (L, K, p), (L, K)
        assert np.abs(a0.sum(axis=1)).max() < 1e-12
        if case["glmnet_args"]["type.multinomial"] == "grouped":
            assert np.abs(beta.sum(axis=1)).max() < 1e-12
        else:
            assert np.abs(np.median(beta, axis=1)).max() == 0.0


def test_multinomial_options_bind():
    """The offsets matter and the bounds are active somewhere, so the KKT test above
    checks the offset's place in η and the box's normal cone."""
    bound_hits = 0
    for case in cases("multinomial_options"):
        s = case_setup(case)
        beta = np.asarray(case["beta"])  # (L, K, p)
        if "offset" in case["glmnet_args"]:
            assert s["offset"].shape == (s["x"].shape[0], len(case["classes"]))
            assert np.ptp(s["offset"], axis=1).max() > 0.5  # not common to the classes
        if np.isfinite(s["lower"]).any() or np.isfinite(s["upper"]).any():
            on_bound = (beta == s["lower"]) | (beta == s["upper"])
            bound_hits += int(np.sum(on_bound & (beta != 0)))
            assert np.all((beta >= s["lower"]) & (beta <= s["upper"]))
    assert bound_hits >= 5


def test_mgaussian_matches_sklearn_multitask_elasticnet():
    """mgaussian (standardize=FALSE, unit weights) is scikit-learn's
    MultiTaskElasticNet(alpha=λ, l1_ratio=alpha): no y scaling, unlike gaussian."""
    from sklearn.linear_model import MultiTaskElasticNet

    for name in ("std_false_alpha1", "std_false_alpha05"):
        case = next(c for c in cases("mgaussian") if c["name"] == name)
        x, y = load_data(case["data"])
        alpha = case["glmnet_args"]["alpha"]
        for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
            model = MultiTaskElasticNet(alpha=lam, l1_ratio=alpha, tol=1e-14, max_iter=100_000)
            model.fit(x, y)
            np.testing.assert_allclose(model.coef_, beta, atol=1e-6)
            np.testing.assert_allclose(model.intercept_, a0, atol=1e-6)


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_standardize_true_is_not_the_unscaled_problem(family):
    """The standardize=TRUE fits violate the KKT conditions of the unscaled problem, so the
    KKT tests above do check glmnet's column scaling."""
    case = next(c for c in cases(family) if c["name"] == "std_true_alpha1")
    s = case_setup(case)
    lam, a0, beta = case["lambda"][-1], case["a0"][-1], np.asarray(case["beta"][-1])
    if family == "gaussian":
        grad = -(s["x"].T @ (s["h"] * (s["y"] - a0 - s["x"] @ beta)))
    else:
        grad = s["x"].T @ (s["h"] * (np.exp(a0 + s["x"] @ beta) - s["y"]))
    v = kkt_violation(
        grad, beta, lam * s["vp"], 0 * s["vp"], s["lower"], s["upper"], np.ones_like(s["scale"])
    )
    assert v > 1e-4
