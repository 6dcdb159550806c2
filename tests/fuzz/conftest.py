"""Hypothesis profiles for the fuzz tests (issue 11).

``ci`` (the default) is derandomized and small, so the suite is deterministic and the
whole of ``tests/fuzz`` stays well under 3 minutes. ``long`` explores: select it with
``SHRINKAGE_FUZZ_PROFILE=long pytest tests/fuzz``.
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,  # the first call of a Numba kernel compiles it
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # capsys is read and reset per example
    ],
    database=None,  # no .hypothesis folder: the same examples on every machine
)
settings.register_profile("ci", max_examples=30, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=400, **_COMMON)
settings.load_profile(os.environ.get("SHRINKAGE_FUZZ_PROFILE", "ci"))
