"""scikit-learn's own tests of its linear models, run against shrinkage (see run.py).

Slow (a few minutes): it runs 23 of scikit-learn's test files. It is part of the
README's ``pytest`` (and so of CI); ``SHRINKAGE_SKLEARN_SUITE=0`` skips it for a quick
local run. It is skipped with a message when the installed scikit-learn is not the
version the cached baseline was made with.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402

pytestmark = pytest.mark.skipif(
    os.environ.get("SHRINKAGE_SKLEARN_SUITE") == "0",
    reason="SHRINKAGE_SKLEARN_SUITE=0: scikit-learn's own test suite skipped",
)


def test_known_differences_file_is_well_formed():
    # Every entry has a reason (load_known raises otherwise) and matches a baseline test.
    _, baseline = run.load_baseline()
    for pattern, _reason in run.load_known():
        assert any(run.matches(nodeid, pattern) for nodeid in baseline), pattern


def test_sklearn_suite_passes_on_shrinkage(tmp_path):
    version, _ = run.load_baseline()
    if version != run.sklearn_version():
        pytest.skip(
            f"the cached baseline is for scikit-learn {version}, installed is "
            f"{run.sklearn_version()}; run tests/sklearn_suite/run.py --live-baseline, or "
            "--refresh-baseline to update the cache"
        )
    report = tmp_path / "report.md"
    status = run.main(["--report", str(report)])
    print(report.read_text())
    assert status == 0, (
        "tests that pass on scikit-learn fail on shrinkage and are not in "
        f"known_differences.txt:\n{report.read_text()}"
    )


def test_a_test_whose_id_another_pytest_spells_differently_is_still_compared():
    # pytest 9.2 names a regex parameter "expected1" where 9.0 wrote the regex: the
    # baseline made with one must still find the test run with the other, both ways.
    old = r"test_v.py::test_verbosity[True-scorer1-3-\\[CV 2/3\\] END  sc1: \\(x\\)]"
    new = "test_v.py::test_verbosity[True-scorer1-3-expected1]"
    other = "test_v.py::test_verbosity[False-scorer2-10-expected2]"
    for base, ours_id in ((old, new), (new, old)):
        ours = {
            ours_id: {"outcome": "failed", "reason": "boom"},
            other: {"outcome": "passed", "reason": ""},
        }
        failing, _ = run.compare({base, other}, ours, [])
        assert failing == [(base, "failed: boom", None)]
        ours[ours_id] = {"outcome": "passed", "reason": ""}
        assert run.compare({base, other}, ours, [])[0] == []
