"""scikit-learn reference calls that work on every version we support (1.6 onwards).

The tests compare with the installed scikit-learn. CI runs them on the newest release and,
in the minimum-version environment (``.ci/requirements-min.txt``), on 1.6; where
scikit-learn's API changed in between, the reference is spelled for the installed one.
"""

from __future__ import annotations

import pytest
import sklearn

SKLEARN = tuple(int(part) for part in sklearn.__version__.split(".")[:2])


def grid_size(n: int) -> dict:
    """scikit-learn's keyword for an alpha grid of ``n`` values: ``alphas=n`` since 1.7,
    ``n_alphas=n`` before (deprecated since, so it warns on new versions)."""
    return {"alphas": n} if SKLEARN >= (1, 7) else {"n_alphas": n}


def l1_logistic() -> dict:
    """``LogisticRegression``'s keywords for the pure L1 penalty: ``l1_ratio=1.0`` since 1.8
    (``penalty`` is deprecated there), ``penalty="l1"`` before (where ``l1_ratio`` alone
    is ignored, with a warning)."""
    return {"l1_ratio": 1.0} if SKLEARN >= (1, 8) else {"penalty": "l1"}


def elastic_net_logistic(l1_ratio: float) -> dict:
    """``LogisticRegression``'s keywords for the elastic-net penalty: ``l1_ratio`` alone
    since 1.8, with ``penalty="elasticnet"`` before (where ``l1_ratio`` alone is ignored,
    with a warning)."""
    if SKLEARN >= (1, 8):
        return {"l1_ratio": l1_ratio}
    return {"penalty": "elasticnet", "l1_ratio": l1_ratio}


def requires_sklearn(major: int, minor: int, what: str) -> pytest.MarkDecorator:
    """Skip a test whose scikit-learn reference needs ``what``, new in ``major.minor``."""
    return pytest.mark.skipif(
        SKLEARN < (major, minor),
        reason=f"the reference needs scikit-learn >= {major}.{minor} ({what}); "
        f"installed is {sklearn.__version__}",
    )
