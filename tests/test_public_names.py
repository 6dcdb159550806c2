"""Every public name of shrinkage and of its subpackages imports, and a Lasso fit imports
only what it runs (the lazy imports keep a new process's first fit short)."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import shrinkage

SRC = str(Path(__file__).resolve().parents[1] / "src")
PACKAGES = ["shrinkage", "shrinkage.datafits", "shrinkage.distributed", "shrinkage.explain",
            "shrinkage.linear_model", "shrinkage.nn"]


#: a subpackage's optional dependency (the ``torch`` extra): without it the test skips
NEEDS = {"shrinkage.nn": "torch"}


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_imports(package):
    if package in NEEDS:
        pytest.importorskip(NEEDS[package])
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    namespace: dict = {}
    exec(f"from {package} import *", namespace)
    assert set(module.__all__) <= set(namespace)


def test_top_level_dir_lists_the_public_names():
    assert sorted(dir(shrinkage)) == sorted(shrinkage.__all__)
    for name in shrinkage.__all__:
        exec(f"from shrinkage import {name}", {})
    with pytest.raises(AttributeError, match="Lassso"):
        shrinkage.Lassso  # noqa: B018


def test_path_static_method_is_scikit_learns():
    # The same function scikit-learn binds to each class (Lasso.path is enet_path there).
    import sklearn.linear_model as sk

    import shrinkage

    for name in ("Lasso", "ElasticNet", "LassoCV", "ElasticNetCV", "MultiTaskLasso",
                 "MultiTaskElasticNet", "MultiTaskLassoCV", "MultiTaskElasticNetCV"):
        ours = getattr(shrinkage, name)
        expected = getattr(shrinkage, getattr(sk, name).path.__name__)
        assert ours.path is expected and ours().path is expected, name


def run_python(code: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=env).stdout


def test_a_lasso_fit_imports_neither_paths_datafits_nor_the_dask_engine():
    out = run_python(
        "import sys, numpy as np\n"
        "from shrinkage import Lasso\n"
        "X = np.random.default_rng(0).standard_normal((30, 5))\n"
        "Lasso(alpha=0.1).fit(X, X[:, 0])\n"
        "print(' '.join(m for m in sys.modules if m.startswith(('shrinkage', 'dask', 'yaml'))))"
    ).split()
    for module in ("shrinkage.path", "shrinkage.datafits", "shrinkage.distributed", "dask",
                   "shrinkage.solvers.moments"):
        assert module not in out
