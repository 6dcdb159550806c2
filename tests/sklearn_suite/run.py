"""Run scikit-learn's own linear-model tests against shrinkage's estimators.

The test files (four of `linear_model/tests` and `linear_model/_glm/tests/test_glm.py`)
ship inside the installed scikit-learn wheel. This script
copies them into a temporary folder, rewrites only the imports of the names
shrinkage exports so that they come from :mod:`shrinkage`, runs them, and
compares the outcome with a baseline: the node ids that pass on scikit-learn
itself. Every test that passes on scikit-learn but fails on shrinkage must be
listed, with a reason, in ``known_differences.txt``; otherwise the run fails.

Usage::

    python tests/sklearn_suite/run.py                   # compare against the cached baseline
    python tests/sklearn_suite/run.py --live-baseline   # also run the files on scikit-learn
    python tests/sklearn_suite/run.py --refresh-baseline  # rewrite the cached baseline
    python tests/sklearn_suite/run.py --report out.md   # markdown table of the failures
    python tests/sklearn_suite/run.py -k test_ridge     # only files/tests matching (pytest -k)

The cached baseline (``sklearn_passing.txt``) records the scikit-learn version it
was made with; on another version the script runs the baseline live instead.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "sklearn_passing.txt"
KNOWN = HERE / "known_differences.txt"
FILES = (
    "test_coordinate_descent.py",
    "test_sparse_coordinate_descent.py",
    "test_ridge.py",
    "test_logistic.py",
    "test_glm.py",
)
#: Where each file lives under ``sklearn/linear_model`` (default: ``tests/<name>``).
SOURCES = {"test_glm.py": "_glm/tests/test_glm.py"}
#: The names shrinkage exports as drop-in replacements for scikit-learn's.
OURS = (
    "Lasso",
    "ElasticNet",
    "LassoCV",
    "ElasticNetCV",
    "Ridge",
    "RidgeCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "lasso_path",
    "enet_path",
    "MultiTaskLasso",
    "MultiTaskElasticNet",
    "MultiTaskLassoCV",
    "MultiTaskElasticNetCV",
    "PoissonRegressor",
    "GammaRegressor",
    "TweedieRegressor",
)


def sklearn_tests_dir() -> Path:
    import sklearn

    return Path(sklearn.__file__).parent / "linear_model" / "tests"


def sklearn_test_file(name: str) -> Path:
    """The installed copy of one of :data:`FILES`."""
    return sklearn_tests_dir().parent / SOURCES.get(name, f"tests/{name}")


def sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def rewrite_imports(source: str) -> str:
    """Make ``from sklearn.linear_model import ...`` take our names from shrinkage.

    Only top-level ``from sklearn.linear_model import`` statements are touched;
    everything else (private helpers, other estimators) still comes from
    scikit-learn.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.module == "sklearn.linear_model"):
            continue
        ours = [a for a in node.names if a.name in OURS]
        if not ours:
            continue
        rest = [a for a in node.names if a.name not in OURS]

        def fmt(aliases):
            return ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in aliases)

        new = ""
        if rest:
            new += f"from sklearn.linear_model import {fmt(rest)}\n"
        new += f"from shrinkage import {fmt(ours)}\n"
        edits.append((node.lineno, node.end_lineno, new))
    for start, end, new in reversed(edits):
        lines[start - 1 : end] = [new]
    return "".join(lines)


def run_pytest(folder: Path, results: Path, extra: list[str], timeout: float) -> dict:
    """Run pytest on ``folder``; return {nodeid: {"outcome", "reason"}}."""
    shutil.copy(HERE / "_collect_plugin.py", folder / "_collect_plugin.py")
    env = dict(os.environ, SKLEARN_SUITE_RESULTS=str(results))
    # run.py may be started with PYTHONPATH=src; pytest runs in another folder, so make the
    # entries absolute and shrinkage resolves the same way there.
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep) if p
        )
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "sklearn.conftest",
        "-p",
        "_collect_plugin",
        "-o",
        "filterwarnings=",
        "-o",
        "addopts=",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(folder),
        *[f for f in FILES if (folder / f).exists()],
        *extra,
    ]
    proc = subprocess.run(
        cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout
    )
    if not results.exists():
        sys.stderr.write(proc.stdout[-5000:] + proc.stderr[-5000:])
        raise RuntimeError(f"pytest did not report results (exit {proc.returncode})")
    return json.loads(results.read_text())


def load_baseline() -> tuple[str | None, set[str]]:
    if not BASELINE.exists():
        return None, set()
    version, ids = None, set()
    for line in BASELINE.read_text().splitlines():
        if line.startswith("# scikit-learn "):
            version = line.split()[2].rstrip(":")
        elif line and not line.startswith("#"):
            ids.add(line)
    return version, ids


def load_known() -> list[tuple[str, str]]:
    """Entries ``<node id, * as wildcard> | <reason>``; every entry needs a reason."""
    known = []
    for n, line in enumerate(KNOWN.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, sep, reason = line.partition(" | ")
        if not sep or not reason.strip():
            raise ValueError(f"{KNOWN.name}:{n}: entry without a reason: {line!r}")
        known.append((pattern.strip(), reason.strip()))
    return known


def matches(nodeid: str, pattern: str) -> bool:
    """``pattern`` is a node id where ``*`` matches anything (brackets are literal)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, nodeid) is not None


def match_known(nodeid: str, known: list[tuple[str, str]]) -> str | None:
    for pattern, reason in known:
        if matches(nodeid, pattern):
            return reason
    return None


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def compare(
    baseline: set[str], ours: dict, known: list[tuple[str, str]]
) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """Tests passing on scikit-learn but not on shrinkage, and known entries that now pass."""
    failing = []
    for nodeid in sorted(baseline):
        res = ours.get(nodeid)
        if res is None:
            outcome, reason = "missing", "not collected (import or collection error)"
        else:
            outcome, reason = res["outcome"], res["reason"]
        if outcome == "passed":
            continue
        failing.append((nodeid, f"{outcome}: {reason}", match_known(nodeid, known)))
    failing_ids = {f[0] for f in failing}
    stale = [p for p, _ in known if not any(matches(i, p) for i in failing_ids)]
    return failing, stale


def write_report(path: Path, failing, stale, n_baseline: int, version: str, seconds: float):
    n_fail = len(failing)
    unexpected = [f for f in failing if f[2] is None]
    out = [
        f"# scikit-learn {version} linear-model tests against shrinkage\n",
        f"{n_baseline - n_fail} of {n_baseline} tests that pass on scikit-learn pass on shrinkage "
        f"({100 * (n_baseline - n_fail) / max(n_baseline, 1):.1f}%); "
        f"{n_fail} fail, {len(unexpected)} of them not in known_differences.txt. "
        f"Run time {seconds:.0f} s.\n",
        "| test | result on shrinkage | known difference (reason) |",
        "|---|---|---|",
    ]
    for nodeid, got, why in failing:
        out.append(f"| `{md_escape(nodeid)}` | {md_escape(got)} | {md_escape(why or '**NEW**')} |")
    if stale:
        out.append("\nEntries in known_differences.txt that no longer fail (remove them):\n")
        out += [f"- `{s}`" for s in stale]
    path.write_text("\n".join(out) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--live-baseline", action="store_true", help="run the files on scikit-learn")
    ap.add_argument("--refresh-baseline", action="store_true", help="rewrite sklearn_passing.txt")
    ap.add_argument("--report", type=Path, help="write the markdown table here")
    ap.add_argument("--json", type=Path, help="write shrinkage's raw results here")
    ap.add_argument("-k", dest="keyword", help="pytest -k expression")
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args(argv)

    start = time.perf_counter()
    version = sklearn_version()
    extra = ["-k", args.keyword] if args.keyword else []
    with tempfile.TemporaryDirectory(prefix="sklearn_suite_") as tmp:
        tmp = Path(tmp)
        ref_dir, our_dir = tmp / "sklearn", tmp / "shrinkage"
        ref_dir.mkdir()
        our_dir.mkdir()
        for name in FILES:
            text = sklearn_test_file(name).read_text()
            (ref_dir / name).write_text(text)
            (our_dir / name).write_text(rewrite_imports(text))

        cached_version, baseline = load_baseline()
        if args.refresh_baseline or args.live_baseline or cached_version != version:
            if cached_version != version and not (args.refresh_baseline or args.live_baseline):
                print(
                    f"cached baseline is for scikit-learn {cached_version}, installed is "
                    f"{version}: running the baseline live"
                )
            ref = run_pytest(ref_dir, tmp / "ref.json", extra, args.timeout)
            baseline = {k for k, v in ref.items() if v["outcome"] == "passed"}
            if args.refresh_baseline:
                if args.keyword:
                    ap.error("--refresh-baseline needs the full run (no -k)")
                BASELINE.write_text(
                    f"# scikit-learn {version}: node ids that pass on scikit-learn itself\n"
                    f"# regenerate with: python tests/sklearn_suite/run.py --refresh-baseline\n"
                    + "\n".join(sorted(baseline))
                    + "\n"
                )
        ours = run_pytest(our_dir, tmp / "ours.json", extra, args.timeout)

    if args.keyword:  # a -k run only sees part of the baseline
        baseline &= set(ours)
    if args.json:
        args.json.write_text(json.dumps(ours, indent=0, sort_keys=True))
    known = load_known()
    failing, stale = compare(baseline, ours, known)
    if args.keyword:
        stale = []
    seconds = time.perf_counter() - start
    report = args.report or (tmp.parent / "sklearn_suite_report.md")
    write_report(report, failing, stale, len(baseline), version, seconds)
    unexpected = [f for f in failing if f[2] is None]
    print(
        f"scikit-learn {version}: {len(baseline) - len(failing)}/{len(baseline)} pass on "
        f"shrinkage; {len(failing)} fail ({len(unexpected)} not in known_differences.txt); "
        f"{seconds:.0f} s; report: {report}"
    )
    for nodeid, got, _ in unexpected:
        print(f"NEW FAILURE {nodeid}: {got}")
    for s in stale:
        print(f"STALE known difference (now passes): {s}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
