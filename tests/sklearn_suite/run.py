"""Run scikit-learn's own tests of its linear models against shrinkage's estimators.

The test files (:data:`FILES`: eleven of scikit-learn's linear-model test files, and the
tests of its meta-estimators and tools that use linear models as components) ship
inside the installed scikit-learn wheel. This script
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
#: scikit-learn's test files, as paths under the installed ``sklearn`` package: first the
#: linear-model tests of the estimators shrinkage replaces, then tests of scikit-learn's
#: meta-estimators and tools (feature selection, calibration, stacking, multi-output,
#: metadata routing, ...) that use those estimators as components.
FILES = (
    "linear_model/tests/test_coordinate_descent.py",
    "linear_model/tests/test_sparse_coordinate_descent.py",
    "linear_model/tests/test_ridge.py",
    "linear_model/tests/test_logistic.py",
    "linear_model/_glm/tests/test_glm.py",
    "linear_model/tests/test_common.py",
    "linear_model/tests/test_sag.py",
    "linear_model/tests/test_bayes.py",
    "linear_model/tests/test_huber.py",
    "linear_model/tests/test_ransac.py",
    "linear_model/tests/test_least_angle.py",
    "feature_selection/tests/test_from_model.py",
    "feature_selection/tests/test_rfe.py",
    "tests/test_multioutput.py",
    "tests/test_multiclass.py",
    "tests/test_calibration.py",
    "tests/test_metaestimators_metadata_routing.py",
    "ensemble/tests/test_stacking.py",
    "ensemble/tests/test_voting.py",
    "svm/tests/test_bounds.py",
    "semi_supervised/tests/test_self_training.py",
    "inspection/tests/test_permutation_importance.py",
    "model_selection/tests/test_validation.py",
)
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


def sklearn_test_file(path: str) -> Path:
    """The installed copy of one of :data:`FILES`."""
    import sklearn

    return Path(sklearn.__file__).parent / path


def copied_name(path: str) -> str:
    """The file name a :data:`FILES` entry is copied to (and its node ids start with)."""
    return Path(path).name


def sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def rewrite_module_attributes(source: str) -> str:
    """Make ``linear_model.Lasso`` (after ``from sklearn import linear_model``) shrinkage's.

    Only attribute accesses of the names in :data:`OURS` on the module name
    ``linear_model`` change; ``linear_model.LassoLars`` and the rest stay scikit-learn's.
    """
    tree = ast.parse(source)
    spans = [
        (node.value.lineno, node.value.col_offset, node.value.end_col_offset)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "linear_model"
        and node.attr in OURS
    ]
    if not spans:
        return source
    lines = source.splitlines(keepends=True)
    for line, start, end in sorted(spans, reverse=True):
        text = lines[line - 1]
        lines[line - 1] = text[:start] + "_shrinkage" + text[end:]
    # After the module docstring and any __future__ import, which must come first.
    first = 0
    for node in tree.body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        first = node.end_lineno
    lines.insert(first, "import shrinkage as _shrinkage\n")
    return "".join(lines)


def rewrite_imports(source: str) -> str:
    """Make ``from sklearn.linear_model import ...`` take our names from shrinkage.

    Top-level ``from sklearn.linear_model import`` statements are rewritten, and
    ``linear_model.<name>`` accesses (:func:`rewrite_module_attributes`); everything else
    (private helpers, other estimators) still comes from scikit-learn.
    """
    source = rewrite_module_attributes(source)
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
        *[copied_name(f) for f in FILES if (folder / copied_name(f)).exists()],
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


def respelled(nodeid: str, ours: dict, baseline: set[str]) -> str | None:
    """The id the installed pytest gives the test the baseline calls ``nodeid``, if other.

    pytest versions spell some parameter ids differently (pytest 9.2 writes ``expected1``
    where 9.0 wrote a regular expression given as the parameter), so the baseline may name
    a test by another spelling. The match: the one id of ours, absent from the baseline,
    with the same file, function and leading parameter ids (those before the first one
    that is not a plain word).
    """
    match = re.match(r"[^\[]*\[[\w.-]*", nodeid)
    if match is None:
        return None
    head = match.group(0)
    if "-" in head[head.index("[") :]:
        head = head[: head.rindex("-") + 1]
    candidates = [i for i in ours if i.startswith(head) and i not in baseline]
    return candidates[0] if len(candidates) == 1 else None


def compare(
    baseline: set[str], ours: dict, known: list[tuple[str, str]]
) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """Tests passing on scikit-learn but not on shrinkage, and known entries that now pass."""
    failing = []
    for nodeid in sorted(baseline):
        res = ours.get(nodeid)
        if res is None and (other := respelled(nodeid, ours, baseline)) is not None:
            res = ours[other]
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
        f"# scikit-learn {version}'s own tests against shrinkage\n",
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
        for path in FILES:
            text = sklearn_test_file(path).read_text()
            (ref_dir / copied_name(path)).write_text(text)
            (our_dir / copied_name(path)).write_text(rewrite_imports(text))

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
