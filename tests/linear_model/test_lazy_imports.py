"""shrinkage.linear_model loads its estimators lazily: a Lasso does not import the GLM,
Cox, logistic or multi-task modules (the first fit in a new process pays for what it uses),
and every public name still resolves."""

import os
import subprocess
import sys
from pathlib import Path

import shrinkage.linear_model as linear_model

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_every_public_name_resolves_to_its_class():
    for name in linear_model.__all__:
        value = getattr(linear_model, name)
        assert value.__name__ == name
    namespace: dict = {}
    exec("from shrinkage.linear_model import *", namespace)
    assert set(linear_model.__all__) <= set(namespace)
    assert sorted(dir(linear_model)) == sorted(linear_model.__all__)


def test_unknown_name_is_an_attribute_error():
    try:
        linear_model.Lassso  # noqa: B018
    except AttributeError as error:
        assert "Lassso" in str(error)
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")


def test_a_lasso_imports_only_the_lasso_modules():
    code = (
        "import sys, shrinkage; shrinkage.Lasso; "
        "print(' '.join(m for m in sys.modules if m.startswith('shrinkage.linear_model.')))"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    assert "shrinkage.linear_model._coordinate_descent" in out
    for other in ("_glm", "_glm_cv", "_cox", "_logistic", "_logistic_cv", "_multitask"):
        assert f"shrinkage.linear_model.{other}" not in out
