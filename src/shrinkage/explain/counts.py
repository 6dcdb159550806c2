"""Count targets: when a target is taken as counts, and the Poisson family of the report.

**The guess.** A numeric target is called *count data* (Poisson regression, log link)
when ``--task`` is ``auto`` and all of these hold:

1. every value is a non-negative integer and there are at least 3 distinct values
   (two values stay a binary classification);
2. zeros occur: a count of events can be 0, while class codes (1…K), scores, ages or
   prices rarely are;
3. the variance is at least the mean (index of dispersion ``s²/ȳ ≥ 1``, less a
   sampling allowance ``2·√(2/(n−1))``): a Poisson count has variance = mean, and real
   counts are over-dispersed; bounded codes or ratings (0/1/2, 0…10) are
   under-dispersed.

Anything else stays as read (a regression), with a note. Every guess is printed with
its reasons and the option that overrides it (``--task regression`` /
``--task poisson``). ``--task poisson`` itself refuses negative or non-integer values.

**The family** (:class:`PoissonFamily`): ``E[y] = exp(b₀ + xᵀb)``, the library's
``PoissonRegressorCV`` (mean half Poisson deviance + α·penalty, glmnet's
``family="poisson"``), compared on the mean Poisson deviance of held-out rows; the
calibration slope is that of ``log E[y] = a + b·η`` (see :mod:`.family_measures`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import family_measures as fm
from .family_procedure import Family

MIN_DISTINCT = 3


def count_profile(y) -> dict:
    """The facts the guess rests on: integer, non-negative, distinct values, zeros,
    index of dispersion ``s²/ȳ`` and its allowance."""
    y = np.asarray(y, float)
    integer = bool(np.all(np.isfinite(y)) and np.all(y == np.round(y)))
    mean = float(y.mean())
    dispersion = float(y.var(ddof=1) / mean) if mean > 0 and y.size > 1 else float("nan")
    return {
        "integer": integer,
        "non_negative": bool(np.all(y >= 0)),
        "distinct": int(np.unique(y).size),
        "zeros": float(np.mean(y == 0)),
        "dispersion": dispersion,
        "allowance": float(2 * np.sqrt(2 / max(y.size - 1, 1))),
        "min": float(y.min()),
        "max": float(y.max()),
    }


def looks_like_counts(profile: dict) -> tuple[bool, str]:
    """The rule of the module docstring: ``(is_count, the reason in words)``."""
    if not (profile["integer"] and profile["non_negative"]):
        return False, "not all non-negative integers"
    if profile["distinct"] < MIN_DISTINCT:
        return False, f"only {profile['distinct']} distinct values"
    if profile["zeros"] == 0:
        return False, "no zeros"
    if not profile["dispersion"] >= 1 - profile["allowance"]:
        return False, f"variance below the mean (s²/ȳ = {profile['dispersion']:.2f})"
    return True, (
        f"{profile['distinct']} distinct values from {profile['min']:g} to "
        f"{profile['max']:g}, {profile['zeros']:.0%} zeros, variance/mean "
        f"{profile['dispersion']:.2f}"
    )


def check_counts(y, name: str) -> np.ndarray:
    """Refuse a target that is not counts (for ``--task poisson``)."""
    y = np.asarray(y, float)
    if np.any(y < 0):
        raise ValueError(
            f"--task poisson needs counts (non-negative integers), but {name!r} has "
            f"{int(np.sum(y < 0))} negative values (min {y.min():g}); use --task regression."
        )
    fractional = np.flatnonzero(y != np.round(y))
    if fractional.size:
        raise ValueError(
            f"--task poisson needs counts (non-negative integers), but {name!r} has "
            f"{fractional.size} non-integer values (e.g. {y[fractional[0]]:g}); for rates, "
            "model the counts, or use --task regression."
        )
    if not np.any(y > 0):
        raise ValueError(f"{name!r} is 0 in every row: there is nothing to model.")
    return y


def as_counts(data, requested: str, guess: bool = True) -> tuple[object, list[str]]:
    """The data as a count target when asked (``requested == "poisson"``) or guessed
    (``"auto"``, ``guess`` and :func:`looks_like_counts`); ``(data, notes to print)``."""
    notes = []
    if requested == "poisson":
        check_counts(data.y, data.target_name)
        return _poisson(data), notes
    if requested != "auto" or not guess or data.task != "regression":
        return data, notes
    profile = count_profile(data.y)
    if not (profile["integer"] and profile["non_negative"]):
        return data, notes
    is_count, why = looks_like_counts(profile)
    if is_count:
        notes.append(
            f"the target {data.target_name!r} looks like counts ({why}): fitting Poisson "
            "regression (log link); use --task regression to fit least squares instead"
        )
        return _poisson(data), notes
    notes.append(
        f"the target {data.target_name!r} holds non-negative integers but is fitted as a "
        f"regression ({why}); if they are counts, use --task poisson"
    )
    return data, notes


def _poisson(data):
    description = data.description.split(". Note: ")[0]
    return replace(
        data, y=np.asarray(data.y, float), task="poisson", classes=None, description=description
    )


class PoissonFamily(Family):
    """Poisson regression with log link (see the module docstring)."""

    task = "poisson"
    loss = "poisson"
    metric = "poisson_deviance"
    metric_label = "mean Poisson deviance"
    has_intercept = True
    n_alphas = 40
    indexes_validated = ("deviance", "d2", "intercept", "slope")

    def cv_estimator(self, ratio, alphas, cv):
        from ..linear_model import PoissonRegressorCV

        return PoissonRegressorCV(
            l1_ratio=ratio, alphas=alphas, cv=cv, standardize=True, max_iter=200, tol=self.tol
        )

    def estimator(self, alpha, ratio):
        from ..linear_model import PoissonRegressor

        return PoissonRegressor(
            alpha=alpha, l1_ratio=ratio, standardize=True, max_iter=300, tol=1e-6
        )

    def curvature(self, y) -> float:
        return float(np.mean(y))

    def fold_scores(self, eta_all, y, train, test) -> dict:
        return {"poisson_deviance": fm.poisson_deviance(y[test], eta_all[test])}

    def indexes(self, eta, y) -> dict:
        return fm.poisson_indexes(y, eta)

    def lr_chi2(self, eta, y) -> float:
        return fm.poisson_lr_chi2(y, eta)
