"""Multinomial logistic regression with an L1 part on raw (unscaled, uncentred,
correlated) columns: does every fit converge, in how many Newton steps and how long.

``benchmarks/multinomial_l1.py`` times standardized data against scikit-learn's saga.
Users also fit raw columns, with or without intercepts; there the softmax Hessian is
ill-conditioned and a solver can stall. For each data set, ``fit_intercept`` in
{True, False}, C in {0.1, 1, 100} and ``l1_ratio`` in {1, 0.5} this fits
``LogisticRegression(tol=1e-8, max_iter=1000)`` and reports the Newton steps, CPU
seconds (one thread, best of ``--repeats``), whether it converged, and the largest KKT
violation computed here in NumPy (independent of the solver). scikit-learn's saga is
not timed: on raw columns it does not reach tol 1e-8 in 20000 epochs.

``--penalty grouped`` fits glmnet's grouped penalty (``multinomial_penalty=
"grouped"``: a feature is in or out for every class) and checks the group KKT
conditions instead.

``--without-exact`` turns off the exact steps of the inner solve (coordinate descent
alone, as before they were added), to show what they are worth: the active-set steps
of the full-Hessian route, or Newton on the support of the grouped solver's model.

Examples
--------
python benchmarks/multinomial_raw.py                     # a markdown table
python benchmarks/multinomial_raw.py --without-exact     # coordinate descent alone
python benchmarks/multinomial_raw.py --penalty grouped   # the grouped penalty
"""

from __future__ import annotations

import single_thread  # noqa: I001  (limits thread pools before numpy loads)

single_thread.drop_openblas_overrides()  # as on a user's machine

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from scipy.special import softmax  # noqa: E402


def shape_measurements(seed=0, n=800, p=18, n_classes=4):
    """Like mlbench's Vehicle (846 x 18): a few latent size and shape factors measured
    by many correlated, positive features on scales 1-1000."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 3))
    X = latent @ rng.standard_normal((3, p)) + 0.05 * rng.standard_normal((n, p))
    X = X * np.logspace(0, 3, p) + 5 * np.logspace(0, 3, p)
    scores = latent @ rng.standard_normal((3, n_classes)) + rng.gumbel(size=(n, n_classes))
    return X, np.argmax(scores, axis=1)


def data_sets():
    from sklearn.datasets import load_digits, load_iris, load_wine

    digits, digit_labels = load_digits(return_X_y=True)
    return {
        "iris (raw)": load_iris(return_X_y=True),
        "wine (raw)": load_wine(return_X_y=True),
        "digits (raw pixels)": (digits[:, digits.std(axis=0) > 0], digit_labels),
        "shape measurements 800x18": shape_measurements(),
    }


def kkt_violation(model, X, y, C, l1_ratio, fit_intercept, grouped=False):
    """Largest KKT violation of ``mean log-loss + α·penalty``, ``α = 1/(C·n)``.

    Ungrouped: per coefficient, ``|g| ≤ l1`` at 0, else ``g = l1·sign(b)`` (``g`` the
    negative gradient less the ridge part). Grouped: per feature's K-vector, ``‖g‖ ≤
    l1`` at 0, else ``g = l1·b/‖b‖``."""
    n = len(y)
    alpha = 1.0 / (C * n)
    Y = np.eye(model.coef_.shape[0])[np.searchsorted(model.classes_, y)]
    R = (Y - softmax(model.intercept_ + X @ model.coef_.T, axis=1)) / n
    target = X.T @ R - alpha * (1 - l1_ratio) * model.coef_.T
    B, l1 = model.coef_.T, alpha * l1_ratio
    if grouped:
        norms = np.linalg.norm(B, axis=1, keepdims=True)
        zero = np.maximum(np.linalg.norm(target, axis=1) - l1, 0.0)
        moving = np.linalg.norm(target - l1 * B / np.where(norms > 0, norms, 1.0), axis=1)
        violation = np.where(norms[:, 0] == 0, zero, moving).max()
    else:
        zero = np.maximum(np.abs(target) - l1, 0.0)
        violation = np.where(B == 0, zero, np.abs(target - l1 * np.sign(B))).max()
    return max(violation, np.abs(R.sum(axis=0)).max() if fit_intercept else 0.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--without-exact", action="store_true")
    parser.add_argument("--penalty", choices=["ungrouped", "grouped"], default="ungrouped")
    args = parser.parse_args(argv)

    from shrinkage.linear_model import LogisticRegression
    from shrinkage.solvers import grouped_multinomial, multinomial_path

    if args.without_exact:
        multinomial_path.EXACT_RENT = np.inf
        grouped_multinomial.EXACT_RENT = np.inf
    grouped = args.penalty == "grouped"
    print("| data | intercept | C | l1_ratio | steps | CPU s | converged | KKT violation |")
    print("|---|---|---|---|---|---|---|---|")
    total, failures = 0.0, 0
    for name, (X, y) in data_sets().items():
        X = np.asarray(X, dtype=np.float64)
        for fit_intercept in (True, False):
            for C in (0.1, 1.0, 100.0):
                for l1_ratio in (1.0, 0.5):
                    best = np.inf
                    for _ in range(args.repeats):
                        with warnings.catch_warnings(record=True) as caught:
                            warnings.simplefilter("always")
                            start = time.process_time()
                            model = LogisticRegression(
                                C=C, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                                tol=1e-8, max_iter=1000, multinomial_penalty=args.penalty,
                            ).fit(X, y)  # fmt: skip
                            best = min(best, time.process_time() - start)
                    converged = not any("converge" in str(w.message) for w in caught)
                    failures += not converged
                    total += best
                    violation = kkt_violation(
                        model, X, y, C, l1_ratio, fit_intercept, grouped=grouped
                    )
                    print(
                        f"| {name} | {fit_intercept} | {C:g} | {l1_ratio:g} | "
                        f"{model.n_iter_[0]} | {best:.3f} | {converged} | {violation:.1e} |",
                        flush=True,
                    )
    print(f"\nTotal {total:.2f} CPU s; {failures} fits did not converge.")


if __name__ == "__main__":
    main()
