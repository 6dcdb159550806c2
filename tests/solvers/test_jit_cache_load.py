"""shrinkage._jit: a kernel found in Numba's cache loads without Numba's full context
refresh and without importing Numba's implementation modules, gives scikit-learn's fit,
and leaves Numba intact for code compiled afterwards."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")

FIT = """
import json, sys, numpy as np
from sklearn.linear_model import Lasso as Reference
from shrinkage import Lasso
from shrinkage.solvers import _kernels
rng = np.random.default_rng(0)
X = rng.standard_normal((40, 8))
y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(40)
model = Lasso(alpha=0.05, tol=1e-10).fit(X, y)
reference = Reference(alpha=0.05, tol=1e-10).fit(X, y)
hits = sum(sum(d.stats.cache_hits.values()) for d in vars(_kernels).values()
           if hasattr(d, "stats"))
refreshed = "numba.np.polynomial.polynomial_core" in sys.modules
implementations = "numba.np.arrayobj" in sys.modules  # (np.empty, @ in the cached code)
"""

USER_CODE = """
from numba import njit

@njit
def user(a):  # typed containers, linalg, random, strings: the registries Numba refreshes
    d = {"inverse": np.linalg.inv(a)}
    np.random.seed(1)
    b = np.empty((2, 2))  # what the cached kernels' stand-in environments belong to
    b[:] = a @ d["inverse"]
    return d["inverse"].sum() + np.random.rand() + len("abc") + b.sum()

np.random.seed(1)
expected = np.linalg.inv(np.eye(2) + 1).sum() + np.random.rand() + 3 + 2
print(json.dumps({"hits": hits, "refreshed": refreshed, "implementations": implementations,
                  "coef": model.coef_.tolist(), "reference": reference.coef_.tolist(),
                  "user": user(np.eye(2) + 1), "expected": expected}))
"""


def run(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    out = subprocess.run([sys.executable, "-c", FIT + USER_CODE], capture_output=True,
                         text=True, check=True, env=env).stdout
    import json

    return json.loads(out.strip().splitlines()[-1])


def test_cached_kernels_load_without_refresh_and_numba_still_compiles(tmp_path):
    first = run(tmp_path)  # compiles the kernels and writes the cache
    second = run(tmp_path)  # loads them
    assert first["hits"] == 0
    assert second["hits"] > 0
    assert not second["refreshed"]  # the full refresh did not run before the user's code
    assert not second["implementations"]  # nor were Numba's array implementations imported
    for result in (first, second):
        np.testing.assert_allclose(result["coef"], result["reference"], atol=1e-7)
        np.testing.assert_allclose(result["user"], result["expected"], rtol=1e-12)
    assert first["coef"] == second["coef"]


IMPORT_WITH_COLLECTOR = """
import gc, json, sys
import sklearn.linear_model, scipy.sparse  # a process already holding many objects
full_collections = []
gc.callbacks.append(lambda phase, info: full_collections.append(info["generation"])
                    if phase == "start" and info["generation"] == 2 else None)
{before}
import shrinkage._jit
print(json.dumps({{"numba": "numba" in sys.modules, "enabled": gc.isenabled(),
                  "full_collections": len(full_collections)}}))
"""


@pytest.mark.skipif(
    sys.version_info >= (3, 14),
    reason="CPython 3.14's incremental collector reports old-generation work in "
    "increments: counting generation-2 starts no longer means full collections",
)
def test_numba_import_pauses_the_collector_and_restores_its_state():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    results = {}
    for before in ("", "gc.disable()"):
        out = subprocess.run([sys.executable, "-c", IMPORT_WITH_COLLECTOR.format(before=before)],
                             capture_output=True, text=True, check=True, env=env).stdout
        results[before] = json.loads(out.strip().splitlines()[-1])
    assert results[""]["numba"] and results[""]["enabled"]
    assert results[""]["full_collections"] == 0  # without the pause: one, over every object
    assert results["gc.disable()"]["enabled"] is False  # a user's choice is kept


def _kernel_module(folder, name, body):
    """A module ``name`` in ``folder`` whose ``f(x)`` is an ``njit(cache=True)`` kernel
    returning ``body``, imported; with its path."""
    import importlib.util

    path = folder / f"{name}.py"
    source = "from shrinkage._jit import njit\n\n@njit(cache=True)\ndef f(x):\n"
    path.write_text(source + f"    return {body}\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def test_cache_made_at_first_call_keeps_the_imported_source(tmp_path):
    """The cache of a kernel is made at its first call; if its source file changed
    since the import, that call compiles the imported code and writes no cache (whose
    stamp would be the new file's)."""

    def load(name, body):
        return _kernel_module(tmp_path, name, body)

    fresh, _ = load("kernel_fresh", "x + 1")
    assert fresh.f(1) == 2
    assert fresh.f.stats.cache_path is not None
    assert list(Path(fresh.f.stats.cache_path).glob("kernel_fresh.f-*.nbi"))

    edited, path = load("kernel_edited", "x + 1")
    path.write_text(path.read_text().replace("x + 1", "x + 100  # edited after import"))
    assert edited.f(1) == 2  # the code that was imported
    assert edited.f.stats.cache_path is None  # and nothing cached under the new source
    assert not list(tmp_path.rglob("kernel_edited.f-*.nbi"))


def test_kernels_compile_and_warn_once_where_numba_cannot_cache(tmp_path, monkeypatch):
    """Where Numba finds no cache directory it can write (a read-only install and no
    writable home: ``njit(cache=True)`` raises "no locator available"), the kernels
    compile without a cache and one warning names the fix (NUMBA_CACHE_DIR)."""
    import warnings

    from numba.core import caching

    import shrinkage._jit

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])  # no place to cache
    monkeypatch.setattr(shrinkage._jit, "_warned_uncached", False, raising=False)
    first, _ = _kernel_module(tmp_path, "kernel_uncached_a", "x + 1")
    second, _ = _kernel_module(tmp_path, "kernel_uncached_b", "x * 3")
    with pytest.warns(RuntimeWarning, match="NUMBA_CACHE_DIR") as caught:
        assert first.f(1) == 2
    assert len(caught) == 1 and "no locator available" in str(caught[0].message)
    assert caught[0].filename == __file__  # the caller's line, not Numba's
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process
        assert second.f(2) == 6
    assert first.f.stats.cache_path is None and second.f.stats.cache_path is None
    assert not list(tmp_path.rglob("*.nbi"))


def _numba_lock_callbacks():
    import llvmlite.binding as ll

    return [pair for pair in ll.ffi.lib._lock._cblist if pair[0].__module__ == "numba.core.base"]


def _llvm_calls():
    """A few dozen LLVM C-API calls, each taking llvmlite's lock."""
    import llvmlite.binding as ll

    module = ll.parse_assembly("define i32 @f() {\n  ret i32 0\n}\n@g = global i32 0\n")
    return [(f.name, f.is_declaration) for f in module.functions] + [
        (g.name, g.is_declaration) for g in module.global_variables
    ]


def test_cache_load_holds_the_llvm_lock_once_with_the_same_timing():
    """Inside a load, Numba's lock callbacks are set aside under one outer hold: a
    compile timer (what Numba's ``Dispatcher.compile`` registers around a cache look-up)
    sees one start and times the whole load; the callbacks are put back afterwards."""
    from numba.core import event

    from shrinkage._jit import _llvm_lock_held_once

    class CountingTimer(event.TimingListener):
        starts = 0

        def on_start(self, ev):
            CountingTimer.starts += 1
            super().on_start(ev)

    before = list(_numba_lock_callbacks())
    assert before  # Numba registers its lock callbacks at import
    timer = CountingTimer()
    event.register("numba:llvm_lock", timer)
    try:
        with _llvm_lock_held_once():
            assert _numba_lock_callbacks() == []
            assert _llvm_calls() == [("f", False), ("g", False)]
    finally:
        event.unregister("numba:llvm_lock", timer)
    assert _numba_lock_callbacks() == before
    assert CountingTimer.starts == 1  # (without the single hold: one per C-API call)
    assert timer.duration > 0


def test_cache_load_keeps_every_lock_event_for_other_listeners():
    """A listener other than Numba's compile timers (a user's recorder) sees every
    LLVM call's lock events, as without shrinkage."""
    from numba.core import event

    from shrinkage._jit import _llvm_lock_held_once

    with event.install_recorder("numba:llvm_lock") as recorder:
        with _llvm_lock_held_once():
            assert _numba_lock_callbacks()
            _llvm_calls()
    starts = [e for e in recorder.buffer if e[1].is_start]
    assert len(starts) > 5  # one per C-API call, not one for the block


def test_kernels_run_as_python_with_numba_jit_disabled():
    """``NUMBA_DISABLE_JIT=1`` (debugging, coverage): ``njit`` returns the Python
    functions, with ``cache=True`` as with Numba's own decorator, and a fit runs."""
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    code = (
        "import json, numpy as np\n"
        "from sklearn.linear_model import Lasso as Reference\n"
        "from shrinkage import Lasso\n"
        "from shrinkage.solvers import _kernels\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.standard_normal((30, 5)); y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(30)\n"
        "coef = Lasso(alpha=0.05, tol=1e-10).fit(X, y).coef_.tolist()\n"
        "reference = Reference(alpha=0.05, tol=1e-10).fit(X, y).coef_.tolist()\n"
        "print(json.dumps({'python': not hasattr(_kernels.cd_gram, 'py_func'),\n"
        "                  'coef': coef, 'reference': reference}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["python"]
    np.testing.assert_allclose(result["coef"], result["reference"], atol=1e-7)
