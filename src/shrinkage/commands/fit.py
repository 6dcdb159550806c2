"""``shrinkage fit``: one penalized model, α given or chosen by CV, saved as JSON.

The options (``--penalty``, ``--l1-ratio``, ``--alpha``) are mapped here to an estimator
of :mod:`shrinkage.linear_model`, and the fitted α back to the units ``--alpha`` takes, so
that the printed value refits the same model. ``--engine dask`` streams the data through
:mod:`shrinkage.distributed` instead of reading it into memory.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from .data import _dense, _inputs, _read, _standardize

#: The mix each --penalty implies; --l1-ratio chooses it for elasticnet only.
_PENALTY_L1_RATIO = {"l1": 1.0, "l2": 0.0}


def _l1_ratio(args) -> float:
    """The elastic-net mix of ``--penalty`` and ``--l1-ratio``; a ratio that contradicts
    the penalty (``--penalty l1 --l1-ratio 0.3``) is refused, not silently ignored."""
    given = getattr(args, "l1_ratio", None)
    if args.penalty == "elasticnet":
        return 0.5 if given is None else given
    implied = _PENALTY_L1_RATIO[args.penalty]
    if given is not None and given != implied:
        raise ValueError(
            f"--l1-ratio {given:g} applies to --penalty elasticnet; --penalty {args.penalty} "
            f"is --l1-ratio {implied:g}. Drop --l1-ratio, or use --penalty elasticnet."
        )
    return implied


def _estimator(args, task: str, n_samples: int):
    from .. import linear_model as lm

    ratio = _l1_ratio(args)
    if task == "classification":
        if args.alpha is not None:  # our α (mean log-loss) is 1/(C·n)
            C = 1.0 / (args.alpha * n_samples)
            return lm.LogisticRegression(C=C, l1_ratio=ratio, max_iter=500)
        return lm.LogisticRegressionCV(
            Cs=20,
            l1_ratios=[ratio],
            cv=args.cv,
            scoring="neg_log_loss",
            rule=args.rule,
            max_iter=500,
            use_legacy_attributes=False,
        )
    if args.penalty == "l2":
        if args.alpha is not None:  # scikit-learn's Ridge alpha = our α·n
            return lm.Ridge(alpha=args.alpha * n_samples)
        return lm.RidgeCV(alphas=np.geomspace(1e-4, 1e4, 50), rule=args.rule)
    if args.alpha is not None:
        return lm.ElasticNet(alpha=args.alpha, l1_ratio=ratio)
    if ratio == 0.0:  # the elastic net's α grid starts where the L1 part zeroes every weight
        raise ValueError(
            "--penalty elasticnet --l1-ratio 0 is ridge, whose α cannot be chosen on the "
            "elastic-net grid: use --penalty l2 (its own CV grid), or give --alpha."
        )
    if ratio == 1.0:
        return lm.LassoCV(cv=args.cv, rule=args.rule)
    return lm.ElasticNetCV(l1_ratio=ratio, cv=args.cv, rule=args.rule)


def cmd_fit(args: argparse.Namespace) -> int:
    """Fit one penalized model (alpha given, or chosen by CV) and save it as JSON."""
    from .. import persist
    from .._output import check_target

    check_target(Path(args.out), args.force, inputs=_inputs(args.data), folder=False)
    if args.engine == "dask" or args.scheduler is not None:
        return _fit_with_dask(args)
    data = _read(args)
    X, center, scale = _standardize(_dense(data.X))
    estimator = _estimator(args, data.task, len(data.y))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = estimator.fit(X, data.y)
    for warning in caught:
        print(f"shrinkage: warning: {warning.message}", file=sys.stderr)
    alpha = _alpha_in_option_units(model, len(data.y))
    description = persist.to_dict(
        model,
        feature_names=data.feature_names,
        task=data.task,
        center=center,
        scale=scale,
        encoding=data.encoding,
        target=data.target_name,
        classes=data.classes,
        alpha_mean_loss=alpha,
    )
    persist.save(description, args.out, force=args.force, inputs=_inputs(args.data))
    coef = np.ravel(model.coef_)
    print(f"{type(model).__name__} on {data.description}")
    print(_chosen_line(args, alpha, description["chosen"]))
    print(f"{np.count_nonzero(coef)} of {coef.size} weights non-zero (standardized):")
    for j in np.argsort(-np.abs(coef))[: args.top]:
        if coef[j] != 0:
            print(f"  {data.feature_names[j]:>30}  {coef[j]: .5g}")
    if data.classes is not None and len(data.classes) == 2:
        print(
            f"Positive weights favour {data.classes[1]!r} over {data.classes[0]!r}; "
            f"predict's probability column is P({data.target_name} = {data.classes[1]!r})."
        )
    print(f"Saved: {args.out}")
    return 0


def _alpha_in_option_units(model, n_samples: int) -> float:
    """The fitted penalty strength as ``--alpha`` takes it (mean loss + α·penalty), so
    that passing it back refits the same model without CV: the inverse of
    :func:`_estimator`'s mapping. Ridge's ``alpha`` weighs the *summed* squared errors
    (``α·n``), logistic regression's ``C`` is ``1/(α·n)``."""
    name = type(model).__name__

    def chosen(attribute: str) -> float:  # the CV choice, else the parameter
        value = getattr(model, f"{attribute}_", None)
        return float(np.ravel(getattr(model, attribute) if value is None else value)[0])

    if name.startswith("LogisticRegression"):
        return 1.0 / (chosen("C") * n_samples)
    if name in ("Ridge", "RidgeCV"):
        return chosen("alpha") / n_samples
    return chosen("alpha")


def _chosen_line(args, alpha: float, chosen: dict) -> str:
    """``chosen: alpha=…``: the α that ``--alpha`` reproduces, and the CV's other choices."""
    if args.alpha is not None:
        return f"chosen: alpha={args.alpha:.6g} (given)"
    extra = ", ".join(
        f"{k.rstrip('_')}={v:.4g}"
        for k, v in chosen.items()
        if k not in ("alpha_", "C_") and isinstance(v, float)
    )
    return (
        f"chosen: alpha={alpha:.6g}{', ' + extra if extra else ''} "
        f"(--alpha {alpha:.6g} refits this model without CV)"
    )


def _fit_with_dask(args: argparse.Namespace) -> int:
    """``--engine dask``: stream a Parquet folder through a Dask cluster (one pass per fit
    for least squares, one per Newton step for logistic). Features are used as stored:
    standardize them upstream if their scales differ."""
    from .. import persist
    from ..distributed.command import load_for_engine

    if args.drop_missing:
        raise ValueError(
            "--engine dask reads the Parquet columns as stored and does not drop rows: "
            "remove the rows with missing values upstream, or leave out --drop-missing."
        )
    if args.task == "auto":
        # Inferring the task would cost a pass over the data before the fit.
        print(
            "shrinkage: note: --engine dask does not infer the task; fitting a "
            "regression (pass --task classification for class labels).",
            file=sys.stderr,
        )
    task = "classification" if args.task == "classification" else "regression"
    drop = [c.strip() for c in args.drop.split(",") if c.strip()]
    with load_for_engine(args.data, args.target, args.engine, args.scheduler, drop) as data:
        n_samples = _dask_rows(data)
        estimator = _estimator(args, task, n_samples=n_samples)
        model = data.fit(estimator)
        names = list(data.feature_names)
    description = persist.to_dict(
        model,
        feature_names=names,
        task=task,
        target=args.target,
        alpha_mean_loss=_alpha_in_option_units(model, n_samples),
    )
    persist.save(description, args.out, force=args.force)
    coef = np.ravel(model.coef_)
    print(f"{type(model).__name__} on {args.data} with the Dask engine")
    print(f"{np.count_nonzero(coef)} of {coef.size} weights non-zero. Saved: {args.out}")
    return 0


def _dask_rows(data) -> int:
    rows = data.X.shape[0]
    return int(rows) if rows == rows else int(data.X.shape[0].compute())
