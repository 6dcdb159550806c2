"""The recommendation: sentences derived from the measured numbers, never written in
advance.

The order of argument is a statistician's: first whether the methods' predictive
errors differ by more than their noise (paired repeated CV, two corrected standard
errors); only when they do not, sparsity and readability decide. Then what the
validation says about overfitting, how stable the lasso's selection is, the winner's
curse, and collinearity *of the data* (generalized VIF on reference coding, never a
pair of levels of one categorical column).
"""

from __future__ import annotations

import numpy as np

UNSTABLE = (0.3, 0.7)  # selection frequency between these: a coin toss
GVIF_ADJUSTED_LIMIT = float(np.sqrt(10.0))  # GVIF^(1/(2 df)) above √10 ⇔ VIF > 10 for df = 1


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def recommend(
    task: str,
    rows: dict,
    comparison: list[dict],
    collinearity: dict,
    frequencies: dict,
    uniqueness: dict | None,
    curse: dict,
    shrinkage: dict,
    n_features: int,
) -> list[str]:
    """A few sentences from the numbers (see the module docstring for their order)."""
    lines = []
    cv = {m: r["cv_repeated"] for m, r in rows.items() if "cv_repeated" in r}
    metric = next(iter(cv.values()))["metric"]
    best = min(cv, key=lambda m: cv[m]["mean"])
    first = cv[best]
    lines.append(
        f"Lowest mean {metric} over {first['repeats']}×{first['folds']}-fold CV (same folds "
        f"for every method): {best} ({_fmt(first['mean'])} ± {_fmt(first['se'])} SE)."
    )
    against = {c["a"]: c for c in comparison}
    noise = [m for m, c in against.items() if c["within_noise"]]
    worse = [m for m, c in against.items() if not c["within_noise"]]
    if noise:
        lines.append(
            "Within noise of "
            + best
            + " (|difference| < 2 SE): "
            + ", ".join(
                f"{m} ({against[m]['mean_difference']:+.3g} ± {against[m]['se']:.2g})"
                for m in noise
            )
            + "."
        )
    if worse:
        lines.append(
            "Worse than "
            + best
            + " by more than 2 SE: "
            + ", ".join(
                f"{m} ({against[m]['mean_difference']:+.3g} ± {against[m]['se']:.2g})"
                for m in worse
            )
            + "."
        )
    kept = rows["L1"]["n_nonzero"]
    l1_ok = best == "L1" or "L1" in noise
    if l1_ok and kept == 0:
        lines.append(
            "L1 keeps no feature and is within noise of the best: on these data nothing "
            "predicts reliably better than the mean (the base rate)."
        )
    elif l1_ok and kept < n_features:
        lines.append(
            f"L1 predicts as well as the best within noise with {kept} of {n_features} "
            f"features: prefer L1{' (or the relaxed lasso)' if 'relaxed lasso' in rows else ''} "
            "for a model you can read; the "
            "difference in error is not evidence for the others."
        )
    elif l1_ok:
        lines.append(
            f"L1 keeps all {n_features} features here, so sparsity does not decide; the "
            "methods predict alike."
        )
    else:
        lines.append(
            f"{best} beats L1 by more than twice the standard error of the paired "
            "difference: the signal is spread over many features; prefer "
            f"{best if best != 'none' else 'L2 or elastic net'} for prediction."
        )
    validation = rows.get("none", {}).get("validation")
    if validation:
        slope = validation["slope_corrected"]
        h = shrinkage.get("value")
        undefined = shrinkage.get("undefined")
        if undefined is not None and shrinkage.get("reason"):
            # Checked before the slope: an interpolating fit's bootstrap-corrected slope
            # can be near 1 (1.000 on 45 rows × 200 features: each resample's fit
            # interpolates its own rows too), and "little overfitting" would be the
            # opposite of the truth.
            advice = {
                "interpolates": " Use a penalty (or fewer features than rows).",
                "separated": " It cannot be used without a penalty.",
            }
            lines.append(shrinkage["reason"] + advice.get(undefined, ""))
        elif not np.isfinite(slope):
            lines.append(
                "The unpenalized fit has no finite calibration slope (the classes are "
                "separated, or nearly): it cannot be used without a penalty."
            )
        elif slope < 0.9:
            lines.append(
                f"The unpenalized fit overfits: its bootstrap-corrected calibration slope is "
                f"{slope:.3f} (heuristic shrinkage {h:.3f}); new predictions would need "
                "shrinking by about that factor, which the penalties do."
            )
        else:
            lines.append(
                f"Little overfitting to correct: the unpenalized fit's bootstrap-corrected "
                f"calibration slope is {slope:.3f} (heuristic shrinkage {h:.3f})."
            )
    l1_freq = frequencies.get("L1", {})
    unstable = sorted(
        (f for f, v in l1_freq.items() if UNSTABLE[0] <= v <= UNSTABLE[1]),
        key=lambda f: -l1_freq[f],
    )
    if unstable:
        shown = ", ".join(f"{f} ({l1_freq[f]:.0%})" for f in unstable[:6])
        more = f" and {len(unstable) - 6} more" if len(unstable) > 6 else ""
        lines.append(
            f"The lasso's choice of {shown}{more} is unstable across half-samples: these "
            "are the features it swaps between (the uniqueness experiment shows why), so do "
            "not read their selection as a finding."
        )
    elif l1_freq:
        lines.append(
            "The lasso's selection is stable: every feature is kept in more than 70% "
            "or fewer than 30% of half-samples."
        )
    if curse.get("features") and np.isfinite(curse.get("inflation", np.nan)):
        if curse["inflation"] > 1.05:
            lines.append(
                f"Winner's curse, measured: unpenalized refits of the features the lasso "
                f"selected are {curse['inflation']:.2f}× as large on the half that selected "
                "them as on a fresh half; report shrunken or validated estimates, not the "
                "refit."
            )
        else:
            lines.append(
                f"No winner's curse measured here: unpenalized refits of the features the "
                f"lasso selected are {curse['inflation']:.2f}× as large on the half that "
                "selected them as on a fresh half (within 5% of it, or smaller), as when "
                "the selected effects are large next to their noise."
            )
    adjusted = collinearity.get("max_gvif_adjusted")
    if collinearity.get("note"):  # an exact dependence: no VIF to quote, only the fact
        lines.append(collinearity["note"])
    elif adjusted is not None and adjusted > GVIF_ADJUSTED_LIMIT:
        columns = collinearity["columns"]
        worst = max(columns, key=columns.get)
        text = (
            f"Collinearity in the data: {worst} has GVIF^(1/(2·df)) = {columns[worst]:.3g} (> √10)"
        )
        pair = collinearity.get("most_correlated_pair")
        if pair:
            text += (
                f"; {pair['features'][0]} and {pair['features'][1]} correlate at "
                f"{pair['correlation']:.2f}"
            )
        lines.append(
            text + ". The lasso's choice among collinear features is arbitrary; ridge or "
            "elastic net share the weight."
        )
    return lines
