"""Held-out calibration figures of the count and survival reports.

- **Counts**: the held-out rows grouped by deciles of the predicted mean ``μ̂ = e^η``;
  the observed mean count of each group against its mean prediction, on log axes, with
  the identity line (points below it: the model over-predicts that group).
- **Survival**: the held-out rows split into risk tertiles by ``η``; in each, the
  Kaplan–Meier estimate (observed) against the mean of the model's predicted survival
  curves ``S(t | x) = S₀(t)^{exp(η)}`` (Breslow's ``S₀``). An over-fitted model spreads
  the predicted curves further apart than the observed ones.
"""

from __future__ import annotations

import numpy as np

from .figures import _figure


def kaplan_meier(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier ``Ŝ(t) = Π_{t_k ≤ t} (1 − d_k/n_k)`` at the distinct event times."""
    time, event = np.asarray(time, float), np.asarray(event, bool)
    times = np.unique(time[event])
    at_risk = np.array([np.sum(time >= t) for t in times], dtype=float)
    deaths = np.array([np.sum((time == t) & event) for t in times], dtype=float)
    return times, np.cumprod(1 - deaths / at_risk)


def poisson_calibration_figure(y, predicted: dict, slopes: dict, groups: int = 10):
    """Observed against predicted mean count by deciles of the prediction."""
    figure, ax = _figure(5.6, 4.6)
    low, high, zero = np.inf, 0.0, False
    for k, (name, mu) in enumerate(predicted.items()):
        order = np.argsort(mu, kind="stable")
        parts = [p for p in np.array_split(order, min(groups, len(mu))) if p.size]
        x = np.array([mu[p].mean() for p in parts])
        o = np.array([y[p].mean() for p in parts])
        ax.plot(x, o, "o-", color=f"C{k}", markersize=4, label=f"{name}: slope {slopes[name]:.2f}")
        zero |= bool(np.any(o == 0))
        positive = np.r_[x, o][np.r_[x, o] > 0]
        if positive.size:
            low, high = min(low, positive.min()), max(high, positive.max())
    if np.isfinite(low):
        ax.plot([low, high], [low, high], color="0.5", linestyle="--", linewidth=0.8, label="ideal")
    ax.set_xscale("log")
    if zero:  # a decile with no counts at all: linear near 0 on the y axis
        ax.set_yscale("symlog", linthresh=max(low, 1e-3) if np.isfinite(low) else 1e-3)
    else:
        ax.set_yscale("log")
    if np.isfinite(low):
        ax.set_xlim(low / 1.2, high * 1.2)
        ax.set_ylim(0 if zero else low / 1.2, high * 1.2)
    ax.set_xlabel("predicted mean count (held-out rows, by decile)")
    ax.set_ylabel("observed mean count")
    ax.set_title("Calibration on held-out data")
    ax.legend(fontsize=7, frameon=False)
    return figure


def cox_calibration_figure(time, event, models: dict, X, slopes: dict, groups: int = 3):
    """Kaplan–Meier against mean predicted survival in risk groups, one panel per model."""
    figure, axes = _figure(4.2 * len(models), 3.8, ncols=len(models))
    axes = np.atleast_1d(axes)
    grid = np.linspace(0, np.quantile(time, 0.9), 60)
    for ax, (name, model) in zip(axes, models.items(), strict=True):
        eta = model.predict(X)
        cuts = np.quantile(eta, np.linspace(0, 1, groups + 1)[1:-1])
        which = np.searchsorted(cuts, eta, side="right")
        for g in range(groups):
            rows = which == g
            if not rows.any() or not np.any(event[rows]):
                continue
            t, s = kaplan_meier(time[rows], event[rows])
            ax.step(np.r_[0, t], np.r_[1, s], where="post", color=f"C{g}", linewidth=1.2)
            mean = model.predict_survival_function(X[rows], grid).mean(axis=0)
            ax.plot(grid, mean, color=f"C{g}", linestyle="--", linewidth=1.0)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, grid[-1] * 1.05)
        ax.set_xlabel("time")
        ax.set_ylabel("survival")
        ax.set_title(f"{name}: held-out slope {slopes[name]:.2f}", fontsize=10)
    axes[0].plot([], [], color="0.3", label="Kaplan–Meier (observed)")
    axes[0].plot([], [], color="0.3", linestyle="--", label="mean predicted S(t | x)")
    axes[0].legend(fontsize=7, frameon=False, loc="lower left")
    return figure
