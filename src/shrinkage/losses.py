"""Old home of the losses; they live in :mod:`shrinkage.datafits` now.

Kept so that ``from shrinkage.losses import Quadratic, Logistic`` keeps working.
"""

from __future__ import annotations

from .datafits import Gamma, Logistic, Multinomial, Poisson, Quadratic

__all__ = ["Quadratic", "Logistic", "Poisson", "Gamma", "Multinomial"]
