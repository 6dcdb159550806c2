"""shrinkage.nn.results: what ``results.json`` holds (strict JSON: NaN as null, floats to six
significant digits), through the one converter of shrinkage._output."""

import json
import math

import pytest

from shrinkage._output import jsonable


def test_jsonable_rounds_and_nulls_non_finite():
    payload = {"a": 1 / 3, "b": [math.nan, math.inf, -2.0], "c": (1, True, None, "x")}
    got = jsonable(payload, digits=6)
    assert got == {"a": 0.333333, "b": [None, None, -2.0], "c": [1, True, None, "x"]}
    json.dumps(got, allow_nan=False)  # strict JSON: would raise on NaN


def test_jsonable_numpy_values():
    np = pytest.importorskip("numpy")
    payload = {
        1: np.array([[1.0, np.nan]]),
        "f": np.float32(0.25),
        "i": np.int64(3),
        "t": np.bool_(True),
    }
    got = jsonable(payload)
    assert got == {"1": [[1.0, None]], "f": 0.25, "i": 3, "t": True}
    assert [type(v) for v in (got["f"], got["i"], got["t"])] == [float, int, bool]
    assert jsonable(np.float64(2 / 3), digits=3) == 0.667
