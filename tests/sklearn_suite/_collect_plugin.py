"""pytest plugin used by run.py: writes every test's outcome and a one-line reason to JSON."""

import json
import os

_RESULTS: dict[str, dict] = {}


def _reason(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message.strip().splitlines()[0][:300] if crash.message.strip() else ""
    if isinstance(report.longrepr, tuple):  # skips: (path, lineno, message)
        return str(report.longrepr[2])[:300]
    return str(report.longrepr or "").strip().splitlines()[-1][:300] if report.longrepr else ""


def pytest_runtest_logreport(report):
    nodeid = report.nodeid
    entry = _RESULTS.setdefault(nodeid, {"outcome": "passed", "reason": ""})
    if report.failed:
        # an error in setup/teardown counts as a failure too
        entry.update(outcome="failed", reason=_reason(report))
    elif report.skipped and entry["outcome"] == "passed":
        xfail = hasattr(report, "wasxfail")
        entry.update(outcome="xfailed" if xfail else "skipped", reason=_reason(report))


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("SKLEARN_SUITE_RESULTS")
    if path:
        with open(path, "w") as fh:
            json.dump(_RESULTS, fh, indent=0, sort_keys=True)
