"""The minimum-version pins that CI tests (.ci/requirements-min.txt) are pyproject's minimums.

``.ci/run`` installs ``.ci/requirements-min.txt`` in a second environment and runs part of
the suite there. That only tests what we declare if each runtime dependency is pinned
there at exactly the lower bound of ``[project].dependencies``; these tests fail when one
side is raised without the other.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PINS = ROOT / ".ci" / "requirements-min.txt"


def declared_minimums() -> dict[str, Version]:
    """``{name: lower bound}`` of every runtime dependency in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    minimums = {}
    for line in project["dependencies"]:
        req = Requirement(line)
        lower = [Version(s.version) for s in req.specifier if s.operator in (">=", "==")]
        assert len(lower) == 1, f"pyproject.toml: {line!r} needs one '>=' lower bound"
        minimums[canonicalize_name(req.name)] = lower[0]
    return minimums


def pinned_versions() -> dict[str, Version]:
    """``{name: version}`` of the exact (``==``) pins in .ci/requirements-min.txt."""
    pins = {}
    for n, raw in enumerate(PINS.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        exact = [s for s in req.specifier if s.operator == "=="]
        if exact:
            assert len(req.specifier) == 1 and "*" not in exact[0].version, (
                f"{PINS.name}:{n}: pin {line!r} to one exact version (no wildcard)"
            )
            pins[canonicalize_name(req.name)] = Version(exact[0].version)
    return pins


def test_every_runtime_dependency_is_pinned_at_its_declared_minimum():
    declared, pinned = declared_minimums(), pinned_versions()
    assert declared, "no dependencies found in pyproject.toml"
    missing = sorted(set(declared) - set(pinned))
    assert not missing, f"{PINS.name} lacks an exact pin for {missing}"
    # Version("1.24") == Version("1.24.0"): the pin is the bound, padded with zeros.
    differ = {n: (str(pinned[n]), str(v)) for n, v in declared.items() if pinned[n] != v}
    assert not differ, f"{PINS.name} pin differs from pyproject.toml's minimum: {differ}"


def test_only_runtime_dependencies_are_pinned_exactly():
    # Other packages (pyparsing, the test runner) may be constrained but not pinned, so an
    # exact pin always means "the minimum we declare".
    extra = sorted(set(pinned_versions()) - set(declared_minimums()))
    assert not extra, f"{PINS.name} pins {extra}, which pyproject.toml does not declare"
