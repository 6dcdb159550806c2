"""The benchmark scripts (``benchmarks/``): they start, and their shared pieces compute
what they claim. Nothing here times anything.

References are independent: scikit-learn's ``KFold`` for the folds, scikit-learn's lasso
and an objective written out here for the suboptimalities, plain arithmetic for the
ratios and the geometric mean.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
#: every script with a command line (``--help`` must answer quickly)
SCRIPTS = (
    "run.py",
    "calibrate.py",
    "speed_map.py",
    "cv.py",
    "jit_cost.py",
    "nn_overhead.py",
    "dask_scale.py",
    "compare_speed.py",
    "worker.py",
    "glm_families.py",
    "glm_poisson.py",
    "unseen_data_check.py",
    "single_fit_alphas.py",
    "ridge_fits.py",
    "glm_ridge_large.py",
    "multinomial_l1.py",
)
#: imported only when these are installed
NEEDS = {"nn_overhead.py": "torch", "dask_scale.py": "dask"}


def _env() -> dict[str, str]:
    """This interpreter's environment, with the checkout's src/ first on the path."""
    env = dict(os.environ)
    src = str(BENCH.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


@pytest.fixture(scope="module")
def bench():
    """The benchmark modules, imported from ``benchmarks/``; the environment variables
    they set on import (thread limits) are put back afterwards."""
    saved = dict(os.environ)
    sys.path.insert(0, str(BENCH))
    try:
        modules = {
            name: importlib.import_module(name)
            for name in (
                "report",
                "calibrate",
                "cv_tasks",
                "timing",
                "objectives",
                "problems",
                "tasks",
                "run_report",
                "speed_map",
            )
        }
        os.environ.clear()
        os.environ.update(saved)
        yield modules
    finally:
        sys.path.remove(str(BENCH))
        os.environ.clear()
        os.environ.update(saved)


# ----------------------------------------------------------------- they start ----
@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script):
    if script in NEEDS:
        pytest.importorskip(NEEDS[script])
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert script.removesuffix(".py") in done.stdout or "usage" in done.stdout.lower()


def test_every_module_imports():
    names = [
        p.stem
        for p in sorted(BENCH.glob("*.py"))
        if not any(p.name == s and importlib.util.find_spec(m) is None for s, m in NEEDS.items())
    ]
    code = f"import importlib\nfor n in {names!r}: importlib.import_module(n)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_drop_openblas_overrides():
    code = "\n".join(
        [
            "import os",
            "os.environ.update(OPENBLAS_CORETYPE='Haswell', OPENBLAS_L2_SIZE='1')",
            "import single_thread as s",
            "s.drop_openblas_overrides([])",
            "left = [v for v in s.OPENBLAS_OVERRIDES if v in os.environ]",
            "os.environ['OPENBLAS_CORETYPE'] = 'Haswell'",
            "s.drop_openblas_overrides(['--keep-openblas-env'])",
            "print(left, os.environ.get('OPENBLAS_CORETYPE'), os.environ['OMP_NUM_THREADS'])",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "Haswell", "1"]


# -------------------------------------------------------------- report math ----
def test_geometric_mean(bench):
    gm = bench["report"].geometric_mean
    assert gm([2.0, 0.5]) == pytest.approx(1.0)
    assert gm([1.0, 4.0, 16.0]) == pytest.approx(4.0)
    # cells without a ratio (None, NaN, 0) are left out, not counted as 0 or 1
    assert gm([8.0, None, float("nan"), 0.0, 2.0]) == pytest.approx(4.0)
    assert math.isnan(gm([]))


def test_ratio_to_fastest(bench):
    report = bench["report"]
    assert report.ratio_to_fastest(3.0, {"a": 2.0, "b": 1.5, "c": float("nan")}) == (2.0, "b")
    assert report.ratio_to_fastest(3.0, {}) == (None, None)
    assert report.ratio_to_fastest(None, {"a": 1.0}) == (None, None)


def test_results_ratio_ignores_inaccurate_competitors(bench):
    rr = bench["run_report"]
    ok = rr.COMPARABLE_SUBOPTIMALITY
    records = {
        "shrinkage": {"status": "ok", "best": 1.0, "subopt": 0.0},
        "fast_but_wrong": {"status": "ok", "best": 0.1, "subopt": 10 * ok},
        "accurate": {"status": "ok", "best": 4.0, "subopt": ok},
        "crashed": {"status": "error"},
    }
    assert rr.shrinkage_ratio(records) == ("0.25", "accurate")
    records["shrinkage"]["subopt"] = 10 * ok
    assert rr.shrinkage_ratio(records) == ("—", "—")


def test_markdown_table(bench):
    lines = bench["report"].markdown_table(["a", "b"], [[1, "x"]], right=[1])
    assert lines == ["| a | b |", "|---|---:|", "| 1 | x |"]


def test_seconds_format(bench):
    fmt = bench["report"].fmt_seconds
    assert [fmt(v) for v in (14.23, 1.314, 0.1354, 0.0612, 0.00123, 0.000612)] == [
        "14.2",
        "1.31",
        "0.135",
        "0.061",
        "0.0012",
        "0.00061",
    ]


def test_speed_map_row_rounds_seconds_without_anchor(bench):
    """A cell no anchor reached prints shrinkage's seconds to 3 significant digits, like
    the cells with an anchor (not Python's full repr of the float)."""
    speed_map = bench["speed_map"]
    libraries = {
        "shrinkage": {"seconds": 0.4279239530000005},
        "sklearn": {"seconds": 0.2, "reached": False},
    }
    record = {
        "task": "lasso_path",
        "problem": "map-20x548-r0-f64",
        "ratio": None,
        "load_before": 1.0,
        "libraries": libraries,
    }
    row = speed_map._row(record)
    assert row[2:6] == ["0.428", "-", "-", "-"]
    libraries["shrinkage"]["seconds"] = None
    assert speed_map._row(record)[2] == "-"
    libraries["sklearn"]["reached"] = True
    libraries["shrinkage"]["seconds"] = 0.4279239530000005
    assert speed_map._row(dict(record, ratio=0.4279239530000005 / 0.2))[2:6] == [
        "0.428",
        "sklearn",
        "0.2",
        "**2.14**",
    ]


# ------------------------------------------------------------ calibration ----
class _Trial:
    def __init__(self, subopt, status="ok"):
        self.subopt, self.status, self.seconds, self.message = subopt, status, 0.0, ""

    @property
    def good(self):
        return self.status == "ok" and self.subopt <= 1e-6


class _LinearCell:
    """A cell whose suboptimality is ``slope * tol`` (a fit times out below ``slow``)."""

    def __init__(self, slope, slow=0.0):
        self.slope, self.slow, self.tried = slope, slow, {}

    def fit(self, tol):
        status = "timeout" if tol < self.slow else "ok"
        self.tried.setdefault(tol, _Trial(self.slope * tol if status == "ok" else math.inf, status))
        return self.tried[tol]


def test_speed_map_off_grid_problems(bench):
    """``--problems`` takes shapes off the grid by name (prefix optional, one spelling),
    refuses malformed ones with the expected form, and never writes into the map."""
    speed_map = bench["speed_map"]
    args = speed_map.parse_args(
        ["--problems", "3000x800-r0.6-f64", "map-3000x800-r0.60-f64", "7000x300-r0.3-f32"]
    )
    assert speed_map.grid_problems(args) == ["map-3000x800-r0.6-f64", "map-7000x300-r0.3-f32"]
    assert args.out == speed_map.CACHE / "off_grid"
    assert speed_map.parse_args(["--problems", "50x9-r0-sp0.01", "--out", "x"]).out == Path("x")
    assert speed_map.parse_args([]).out == speed_map.BENCH_DIR  # the grid: the map itself
    for bad in ("3000x800-r0.6", "3000x800-r1.2-f64", "axb-r0-f64", "3000x800-r0.6-f16"):
        with pytest.raises(argparse.ArgumentTypeError, match="NxP-rRHO-KIND"):
            speed_map.off_grid_name(bad)
    with pytest.raises(SystemExit):
        speed_map.parse_args(["--quick", "--problems", "30x8-r0-f64"])


@pytest.mark.parametrize("start", [1e-1, 1e-6, 1e-12])
@pytest.mark.parametrize("slope", [1.0, 30.0, 1e4])
def test_search_finds_the_loosest_grid_tolerance(bench, start, slope):
    calibrate = bench["calibrate"]
    expected = max(t for t in calibrate.GRID if slope * t <= calibrate.TARGET_SUBOPTIMALITY)
    result = calibrate.search(_LinearCell(slope), start)
    assert result["reached"] and result["status"] == "ok"
    assert result["tol"] == pytest.approx(expected, rel=1e-3)


def test_search_starts_at_the_nearest_calibrated_cell(bench):
    """The speed map starts a cell's search at the tolerance of the nearest cell already
    calibrated for that library and task: same shape first, then the nearest n/p; cells
    that missed the target, and the cell itself, are not used."""
    speed_map = bench["speed_map"]
    entries = {
        "map-1000x10000-r0-f64": {"tol": 1e-5, "reached": True},
        "map-4472x2236-r0.6-f64": {"tol": 3.16e-4, "reached": True},
        "map-3162x3162-r0-f64": {"tol": 1e-4, "reached": False},
        "map-3162x3162-r0.6-f32": {"tol": 1e-3, "reached": True},
    }
    nearest = speed_map.nearest_calibrated_tol
    assert nearest(entries, "map-3162x3162-r0.95-f32") == 1e-3  # same shape and kind
    # its own entry missed; another correlation weighs 3|Δrho|, so the rho 0 cell of
    # another shape (2.3) is nearer than the rho 0.6 ones (2.5 and 2.8)
    assert nearest(entries, "map-3162x3162-r0-f64") == 1e-5
    assert nearest(entries, "map-577x17321-r0-f64") == 1e-5  # nearest shape
    assert nearest(entries, "map-10000x1000-r0.6-f64") == 3.16e-4
    assert nearest({}, "map-10000x1000-r0.6-f64") is None
    # a start at the right tolerance confirms it with one looser fit
    calibrate = bench["calibrate"]
    cell = _LinearCell(10.0)
    assert calibrate.search(cell, 1e-7)["tol"] == pytest.approx(1e-7, rel=1e-3)
    assert sorted(cell.tried) == pytest.approx([1e-7, 10**-6.5], rel=1e-3)


class _FlatWhileLooseCell(_LinearCell):
    """Suboptimality ``slope·min(tol, knee)``: every tolerance above ``knee`` gives the
    same fit (a library whose own stopping rule does not bind there)."""

    def __init__(self, slope, knee):
        super().__init__(slope)
        self.knee = knee

    def fit(self, tol):
        self.tried.setdefault(tol, _Trial(self.slope * min(tol, self.knee)))
        return self.tried[tol]


def test_search_from_a_loose_start_is_not_stopped_by_its_flat_stretch(bench):
    """A start far looser than the cell needs (a neighbour's tolerance) walks through
    tolerances that all give the same fit: that flat stretch is no plateau verdict when
    it lies above ``plateau_below``, and the search goes on to the loosest good one."""
    calibrate = bench["calibrate"]
    flat = _FlatWhileLooseCell(10.0, knee=1e-6)
    assert not calibrate.search(flat, 1e-1)["reached"]  # without the guard: stopped
    result = calibrate.search(_FlatWhileLooseCell(10.0, knee=1e-6), 1e-1, plateau_below=1e-6)
    assert result["reached"] and result["tol"] == pytest.approx(1e-7, rel=1e-3)


def test_search_reports_a_timeout(bench):
    calibrate = bench["calibrate"]
    result = calibrate.search(_LinearCell(1.0, slow=1.0), 1e-8)
    assert result["status"] == "timeout" and not result["reached"]


def _lasso_objective(X, y, coef, intercept, alpha):
    r = y - X @ coef - intercept
    return 0.5 * np.mean(r * r) + alpha * np.abs(coef).sum()


class _SklearnWorker:
    """In-process stand-in for a worker: scikit-learn's warm-started lasso path."""

    library = "sklearn"

    def __init__(self, problem):
        self.problem = problem

    def warm_up(self, task_name):
        return {"status": "ok"}

    def request(self, payload, timeout):
        from sklearn.linear_model import Lasso

        X, y = self.problem.X, self.problem.y
        model = Lasso(alpha=1.0, tol=payload["tol"], max_iter=100_000, warm_start=True)
        coefs, intercepts = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for alpha in payload["alphas"]:
                model.set_params(alpha=alpha).fit(X, y)
                coefs.append(model.coef_.copy())
                intercepts.append(model.intercept_)
        np.savez(payload["out"], coefs=np.array(coefs).T, intercepts=np.array(intercepts))
        return {"status": "ok", "seconds": 0.0}


def test_calibration_scores_against_a_direct_suboptimality(bench, tmp_path, monkeypatch):
    """A real search on a tiny lasso path: the suboptimality the calibration records at
    the tolerance it picks, and at the next looser one, equal the ones computed here from
    the objective written out and a reference solved to ``tol=1e-14``."""
    calibrate, problems, tasks = bench["calibrate"], bench["problems"], bench["tasks"]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 15))
    y = X[:, :3] @ np.array([2.0, -1.0, 0.5]) + 0.5 * rng.standard_normal(60)
    problem = problems.Problem("tiny", X, y, None, "test")
    task = dataclasses.replace(tasks.TASKS["lasso_path"], n_alphas=10)
    alphas = task.alphas(problem)
    worker = _SklearnWorker(problem)

    @functools.cache
    def direct_objective(tol):
        out = tmp_path / f"direct_{tol:g}.npz"
        worker.request({"alphas": alphas, "tol": tol, "out": str(out)}, None)
        with np.load(out) as fit:
            return np.array(
                [
                    _lasso_objective(X, y, fit["coefs"][:, k], fit["intercepts"][k], a)
                    for k, a in enumerate(alphas)
                ]
            )

    reference = direct_objective(1e-14)
    monkeypatch.setattr(calibrate, "reference_objective", lambda *args: reference.copy())
    monkeypatch.setattr(calibrate, "fit_path", lambda *args: tmp_path / "fit.npz")
    cell = calibrate.Cell(worker, task, problem, timeout=60)
    result = calibrate.search(cell, 1e-2)

    assert result["reached"]
    best = np.minimum.reduce([reference, *(direct_objective(t) for t in cell.tried)])
    for tol, trial in cell.tried.items():
        direct = np.max((direct_objective(tol) - best) / np.abs(best))
        assert trial.subopt == pytest.approx(direct, rel=1e-6, abs=1e-15)
    chosen = min(cell.tried, key=lambda t: abs(math.log(t / result["tol"])))
    assert cell.tried[chosen].subopt <= calibrate.TARGET_SUBOPTIMALITY
    looser = [t for t in cell.tried if t > chosen]
    if looser:  # the next looser tolerance misses the target (else it would be chosen)
        assert cell.tried[min(looser)].subopt > calibrate.TARGET_SUBOPTIMALITY


def test_tolerance_file_round_trip(bench, tmp_path):
    calibrate = bench["calibrate"]
    path = tmp_path / "tolerances.json"
    assert calibrate.load_tolerances(path) == {}
    calibrate.save("sklearn", "lasso_path", "diabetes", {"tol": 1e-5, "status": "ok"}, path)
    calibrate.save("sklearn", "lasso_path", "digits", {"tol": 1e-7, "status": "ok"}, path)
    tolerances = calibrate.load_tolerances(path)
    assert calibrate.tolerance_entry(tolerances, "sklearn", "lasso_path", "digits")["tol"] == 1e-7
    default = calibrate.tolerance_entry(tolerances, "skglm", "lasso_path", "digits")
    assert default["status"] == "uncalibrated"


# --------------------------------------------------------------- CV pieces ----
@pytest.mark.parametrize("n", [10, 442, 1001])
def test_kfold_ids_are_sklearn_folds(bench, n):
    from sklearn.model_selection import KFold

    cv_tasks = bench["cv_tasks"]
    foldid = cv_tasks.kfold_ids(n)
    folds = cv_tasks.folds_from_ids(foldid)
    for (train, test), (ref_train, ref_test) in zip(
        folds, KFold(5).split(np.zeros((n, 1))), strict=True
    ):
        np.testing.assert_array_equal(test, ref_test)
        np.testing.assert_array_equal(train, ref_train)


def test_cv_verdicts(bench):
    accuracy = bench["cv_tasks"].accuracy
    alphas = np.geomspace(1.0, 1e-3, 5)
    exact = np.array([5.0, 3.0, 2.0, 2.001, 4.0])  # minimum at index 2, SE 1.0

    def verdict(chosen):
        record = {"alpha": alphas[chosen], "mean_mse": exact, "alphas": alphas}
        return accuracy(record, alphas, exact, 1.0)

    assert verdict(2)["verdict"] == "same alpha"
    assert verdict(3)["verdict"] == "tie"  # 0.001 above the minimum: 0.001 SE <= 0.01 SE
    assert verdict(1)["verdict"] == "DIFFERENT"
    assert verdict(1)["regret_rel"] == pytest.approx(0.5)


def test_load_aware_median_keeps_clean_runs(bench):
    timing = bench["timing"]
    dirty = timing.CONTAMINATED_CORES * 4
    record = {
        "status": "ok",
        "seconds": 9.0,
        "foreign_cores": 0.0,
        "runs": [
            {"s": 1.0, "foreign": dirty},
            {"s": 2.0, "foreign": 0.0},
            {"s": 3.0, "foreign": 0.0},
            {"s": 4.0, "foreign": 0.0},
        ],
    }
    out = timing.finish(record, repeats=3)
    assert out["repeats_s"] == [2.0, 3.0, 4.0] and out["time_s"] == 3.0
    assert not out["contaminated"]


def test_alpha_max_is_the_smallest_all_zero_alpha(bench):
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 8))
    y = X @ rng.standard_normal(8) + rng.standard_normal(50)
    top = bench["objectives"].alpha_max(X, y)
    assert not np.any(Lasso(alpha=top * 1.0001, tol=1e-12).fit(X, y).coef_)
    assert np.any(Lasso(alpha=top * 0.99, tol=1e-12).fit(X, y).coef_)


def test_worker_fit_reports_usage_and_recycles_memory(bench, tmp_path):
    """A worker's fit reply carries the fit's system time, page faults and switches, and the
    fit's coefficients match a direct scikit-learn fit (the memory recycled before it is not
    the data); ``data_bytes`` counts a design's bytes, dense and sparse."""
    import scipy.sparse as sp
    from sklearn.linear_model import Lasso

    saved = dict(os.environ)
    sys.path.insert(0, str(BENCH))
    try:
        worker_module = importlib.import_module("worker")
    finally:
        sys.path.remove(str(BENCH))
        os.environ.clear()
        os.environ.update(saved)
    problems = bench["problems"]
    problem = problems.tiny_problems()[0]
    assert worker_module.data_bytes(problem) == problem.X.nbytes
    sparse = sp.random(40, 30, density=0.2, format="csc", random_state=0)
    expected = sparse.data.nbytes + sparse.indices.nbytes + sparse.indptr.nbytes
    assert worker_module.data_bytes(problems.Problem("s", sparse, None, None, "")) == expected

    worker = worker_module.worker_class("path")("sklearn")
    worker.problems[("tiny-test", 1.0)] = problem
    alpha = float(np.max(np.abs(problem.X.T @ (problem.y - problem.y.mean())))) / len(problem.y) / 4
    out = tmp_path / "fit.npz"
    reply = worker.handle({"op": "fit", "task": "single_lasso", "problem": "tiny-test",
                           "scale": 1.0, "alphas": [alpha], "tol": 1e-10, "out": str(out)})
    assert reply["status"] == "ok", reply
    usage = reply["usage"]
    assert set(usage) == {"sys_s", "minor_faults", "involuntary_switches"}
    assert all(value >= 0 for value in usage.values())
    reference = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(problem.X, problem.y)
    with np.load(out) as fit:
        np.testing.assert_allclose(fit["coefs"].ravel(), reference.coef_, atol=1e-6)


def test_compilation_counter_counts_numba_cache_misses_only(bench):
    """The worker re-times a fit during which Numba compiled: the counter sees a new
    specialization, and nothing for a call that reuses compiled code."""
    import numba

    worker_module = importlib.import_module("worker")  # (bench: benchmarks/ on the path)

    @numba.njit
    def plus_one(x):
        return x + 1

    counts = []
    for argument in (1, 2, 2.5):  # compiles (int), reuses, compiles (float)
        with worker_module.CompilationCounter() as counter:
            plus_one(argument)
        counts.append(counter.count)
    assert counts == [1, 0, 1]


def test_a_timed_fit_that_misses_the_target_has_no_ratio(bench, tmp_path, monkeypatch):
    """The speed map scores the fits it timed: a library whose fit lands above the
    target suboptimality (a calibrated tolerance gone stale) is marked, and a cell
    whose own fit missed it gets no ratio, whatever its time."""
    speed_map, problems, tasks = bench["speed_map"], bench["problems"], bench["tasks"]
    problem = problems.tiny_problems()[0]
    task = tasks.TASKS["lasso_path"]
    alphas = task.alphas(problem)
    adapters = importlib.import_module("adapters")  # (benchmarks/ is on the path here)
    exact = task.call(adapters.ADAPTERS["sklearn"](), problem, alphas, 1e-12)
    reference = speed_map.objective_path(task, problem, alphas, *exact)
    monkeypatch.setattr(speed_map, "reference_objective", lambda *args: reference)
    loose = (np.zeros_like(exact[0]), exact[1])  # every coefficient zero: far off
    payloads, record = {}, {"libraries": {}}
    for library, fit in (("sklearn", exact), ("shrinkage", loose)):
        out = tmp_path / f"{library}.npz"
        np.savez(out, coefs=fit[0], intercepts=fit[1])
        payloads[library] = {"out": str(out)}
        record["libraries"][library] = {"seconds": 1.0, "reached": True}
    speed_map.check_timed_accuracy(task, problem, alphas, payloads, record)
    assert record["libraries"]["sklearn"]["reached"] is True
    assert record["libraries"]["sklearn"]["timed_subopt"] <= 1e-9
    assert record["libraries"]["shrinkage"]["reached"] is False
    assert speed_map.ratio_of(record) is None
    record["libraries"]["shrinkage"]["reached"] = True
    assert speed_map.ratio_of(record) == 1.0


def test_ridge_benchmark_reference_is_ridge(bench):
    """``ridge_fits.reference_coef`` (augmented lstsq) against scikit-learn's Cholesky
    on a well-conditioned problem, where both are exact to rounding."""
    from sklearn.linear_model import Ridge

    ridge_fits = importlib.import_module("ridge_fits")  # (benchmarks/ is on the path here)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5)) + 2.0
    y = X @ rng.standard_normal(5) + rng.standard_normal(60)
    for alpha in (0.1, 10.0):
        expected = Ridge(alpha=alpha, solver="cholesky").fit(X, y).coef_
        np.testing.assert_allclose(ridge_fits.reference_coef(X, y, alpha), expected, rtol=1e-10)


def test_multinomial_benchmark_objective_is_scikit_learns(bench):
    """``multinomial_l1.objective`` against scikit-learn's ``log_loss`` (summed) and the
    L1 norm written out: ``C·n·log_loss + Σ|B|``."""
    from scipy.special import softmax
    from sklearn.metrics import log_loss

    multinomial_l1 = importlib.import_module("multinomial_l1")
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((40, 3)), rng.integers(0, 4, 40)
    coef, intercept = rng.standard_normal((4, 3)), rng.standard_normal(4)
    P = softmax(X @ coef.T + intercept, axis=1)
    expected = 2.5 * 40 * log_loss(y, P, labels=range(4)) + np.abs(coef).sum()
    value = multinomial_l1.objective(X, y, coef, intercept, 2.5)
    assert value == pytest.approx(expected, rel=1e-12)


def test_multinomial_raw_kkt_violation_is_the_optimality_test(bench):
    """``multinomial_raw.kkt_violation`` is ~0 at scikit-learn's saga optimum (tol
    1e-12, standardized iris) and not at points moved off it (the intercepts, or the
    coefficients)."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    multinomial_raw = importlib.import_module("multinomial_raw")
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = LogisticRegression(
            C=1.0, l1_ratio=0.5, penalty="elasticnet", solver="saga", tol=1e-12,
            max_iter=100000,
        ).fit(X, y)  # fmt: skip
    assert multinomial_raw.kkt_violation(model, X, y, 1.0, 0.5, True) < 1e-6
    model.intercept_ = model.intercept_ + np.array([0.3, 0.0, 0.0])
    assert multinomial_raw.kkt_violation(model, X, y, 1.0, 0.5, True) > 1e-3
    moved = model.coef_.copy()
    model.intercept_ = model.intercept_ - np.array([0.3, 0.0, 0.0])
    model.coef_ = moved + 0.05
    assert multinomial_raw.kkt_violation(model, X, y, 1.0, 0.5, True) > 1e-3


def test_multinomial_raw_grouped_kkt_violation(bench):
    """The grouped condition of ``multinomial_raw.kkt_violation``: at B = 0 (intercepts
    at the class log-frequencies) it is ``max_j (‖g_j‖ − l1)₊``, written out here; with
    no L1 part it is ~0 at scikit-learn's ridge optimum (lbfgs, tol 1e-12)."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    multinomial_raw = importlib.import_module("multinomial_raw")
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    n, K = len(y), 3
    Y = np.eye(K)[y]
    frequencies = Y.mean(axis=0)
    G = X.T @ (Y - frequencies) / n  # (p, K) at B = 0: the negative gradient
    norms = np.linalg.norm(G, axis=1)
    C = 1.0 / (n * 0.5 * norms.max())  # l1 = α = half the largest group gradient

    class AtZero:
        classes_ = np.arange(K)
        coef_ = np.zeros((K, X.shape[1]))
        intercept_ = np.log(frequencies)

    expected = np.maximum(norms - 0.5 * norms.max(), 0.0).max()
    value = multinomial_raw.kkt_violation(AtZero(), X, y, C, 1.0, True, grouped=True)
    assert value == pytest.approx(expected, rel=1e-10)
    ridge = LogisticRegression(C=0.5, tol=1e-12, max_iter=10000).fit(X, y)
    assert multinomial_raw.kkt_violation(ridge, X, y, 0.5, 0.0, True, grouped=True) < 1e-8
    ridge.coef_ = ridge.coef_ + 0.01
    ridge.coef_[:, 0] += np.array([0.05, -0.05, 0.0])
    assert multinomial_raw.kkt_violation(ridge, X, y, 0.5, 0.0, True, grouped=True) > 1e-4
