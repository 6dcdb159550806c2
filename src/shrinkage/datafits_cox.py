"""Former home of the Cox datafit: it lives in :mod:`shrinkage.datafits.cox` now."""

from .datafits.cox import (  # noqa: F401
    Cox,
    CoxTarget,
    as_survival_target,
    baseline_survival,
    breslow_baseline,
    concordance_index,
    coxnet_deviance,
    survival_function,
)

__all__ = [
    "Cox",
    "CoxTarget",
    "as_survival_target",
    "breslow_baseline",
    "baseline_survival",
    "survival_function",
    "concordance_index",
    "coxnet_deviance",
]
