"""scikit-learn's metadata routing for the CV estimators, in one place.

The CV estimators route ``groups`` (and any other split metadata) to the splitter
and scoring metadata to the scorer, exactly as scikit-learn's CV estimators do:

- without ``sklearn.set_config(enable_metadata_routing=True)``, extra ``fit``
  keywords are refused (scikit-learn's ``ValueError``), and ``sample_weight`` goes
  where scikit-learn sends it;
- with routing enabled, ``process_routing`` decides, from the splitter's and the
  scorer's requests (``set_score_request``, ...).
"""

from __future__ import annotations

import warnings
from inspect import signature

from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)

__all__ = [
    "cv_router",
    "raise_for_params",
    "route_fit",
    "routing_enabled",
    "scorer_takes_sample_weight",
]

raise_for_params = _raise_for_params
routing_enabled = _routing_enabled


def cv_router(estimator, scorer, cv, score_method: bool = False) -> MetadataRouter:
    """The router of a CV estimator: its own requests, the splitter and the scorer."""
    mapping = MethodMapping().add(caller="fit", callee="score")
    if score_method:
        mapping = mapping.add(caller="score", callee="score")
    return splitter_router(estimator, cv).add(scorer=scorer, method_mapping=mapping)


def splitter_router(estimator, cv) -> MetadataRouter:
    """The router of a CV estimator without a scorer: its own requests, and ``groups``
    (and other split metadata) to the splitter."""
    return (
        MetadataRouter(owner=estimator)
        .add_self_request(estimator)
        .add(splitter=cv, method_mapping=MethodMapping().add(caller="fit", callee="split"))
    )


def route_fit(estimator, params: dict, sample_weight=None, *, scorer_gets_weight: bool):
    """``(split_params, score_params)`` for ``fit``, as scikit-learn's CV estimators do.

    ``scorer_gets_weight``: without routing, whether scikit-learn passes the fit's
    ``sample_weight`` to the scorer (RidgeCV's leave-one-out, LogisticRegressionCV and,
    when the scorer accepts it, RidgeCV's K-fold grid search:
    :func:`scorer_takes_sample_weight`).
    """
    if routing_enabled():
        if sample_weight is not None:
            params = {**params, "sample_weight": sample_weight}
        routed = process_routing(estimator, "fit", **params)
        # Routers without a scorer (LassoCV) have no "scorer" entry; ``in`` must not be
        # used on the result (it iterates by index), so look the names up.
        names = set(estimator.get_metadata_routing()._route_mappings)
        split = routed["splitter"].split if "splitter" in names else {}
        score = routed["scorer"].score if "scorer" in names else {}
        return dict(split), dict(score)
    raise_for_params(params, estimator, "fit")
    score = {}
    if scorer_gets_weight and sample_weight is not None:
        score["sample_weight"] = sample_weight
    return {}, score


def scorer_takes_sample_weight(scorer, estimator) -> bool:
    """Whether ``scorer`` accepts ``sample_weight``; warns when it does not.

    scikit-learn's grid search (from 1.7 on) passes the fit's ``sample_weight`` to a
    scorer that accepts it, so the folds' scores are weighted like the fit, and warns
    for one that does not (its scores are then unweighted). ``scorer`` is a scorer
    object or a callable ``scorer(estimator, X, y)``.
    """
    accepts = getattr(scorer, "_accept_sample_weight", None)  # scikit-learn >= 1.7
    if accepts is not None:
        accepted = bool(accepts())
    elif hasattr(scorer, "_score_func"):  # a metric's scorer on scikit-learn 1.6
        accepted = "sample_weight" in signature(scorer._score_func).parameters
    elif hasattr(scorer, "_estimator"):  # the estimator's own score on scikit-learn 1.6
        accepted = "sample_weight" in signature(scorer._estimator.score).parameters
    else:
        accepted = "sample_weight" in signature(scorer).parameters
    if not accepted:
        warnings.warn(
            f"The scoring {scorer} does not support sample_weight, which may lead to "
            f"statistically incorrect results when fitting {type(estimator).__name__} "
            "with sample_weight: the folds are scored unweighted.",
            UserWarning,
            stacklevel=3,
        )
    return accepted
