"""The command line on generated files and tampered models (issue 11).

Every run either succeeds with finite, correct output or prints one line
``shrinkage: error: …`` and exits 2: never a traceback, never inf/nan silently.
"""

import copy
import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shrinkage.cli import main

LEVELS = ["01", "1", "a,b", 'q"t', " x", "NaN-ish", "é"]  # "None", "NA": pandas reads missing


@st.composite
def tables(draw):
    """A table with numeric columns (random scale and offset), maybe a text column, and
    a target: real, 0/1, 1/2, True/False or text labels."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(24, 60))
    p = draw(st.integers(1, 4))
    scale = 10.0 ** draw(st.integers(-3, 3))
    offset = draw(st.sampled_from([0.0, 1.0, 1e3, 1e6]))
    frame = pd.DataFrame(
        rng.normal(size=(n, p)) * scale + offset, columns=[f"c{j}" for j in range(p)]
    )
    if draw(st.booleans()):
        levels = draw(st.lists(st.sampled_from(LEVELS), min_size=2, max_size=4, unique=True))
        frame["kind"] = rng.choice(levels, size=n)
    signal = (frame["c0"] - offset) / scale + 0.5 * rng.normal(size=n)
    kind = draw(st.sampled_from(["real", "01", "12", "bool", "text"]))
    positive = signal > np.median(signal)
    positive[:2] = [True, False]  # both classes, at least twice each with the median
    frame["y"] = {
        "real": signal * 3 + 7,
        "01": positive.astype(int),
        "12": positive.astype(int) + 1,
        "bool": positive,
        "text": np.where(positive, "yes, sir", "no"),
    }[kind]
    return frame, kind


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if code != 0:
        assert code == 2 and captured.err.strip().splitlines()[-1].startswith("shrinkage: error:")
    return code, captured


@given(tables(), st.sampled_from(["l1", "l2", "elasticnet"]))
def test_fit_then_predict_on_generated_tables(tmp_path_factory, capsys, table, penalty):
    frame, kind = table
    folder = tmp_path_factory.mktemp("cli")
    data, model = folder / "data.csv", folder / "m.json"
    frame.to_csv(data, index=False)
    argv = ["fit", str(data), "--target", "y", "--penalty", penalty, "--alpha", "0.05"]
    code, captured = _run([*argv, "--out", str(model)], capsys)
    assert code == 0, captured.err
    description = json.loads(model.read_text())
    assert description["task"] == ("regression" if kind == "real" else "classification")
    code, captured = _run(["predict", str(model), str(data)], capsys)
    assert code == 0, captured.err
    rows = list(csv.reader(io.StringIO(captured.out)))
    assert len(rows) == len(frame) + 1
    # Reference: the saved numbers applied by hand to the file's columns.
    X = _encode(frame.drop(columns="y"), description)
    z = X @ np.asarray(description["coef"][0]) + description["intercept"][0]
    if kind == "real":
        np.testing.assert_allclose([float(r[0]) for r in rows[1:]], z, rtol=1e-8, atol=1e-8)
    else:
        classes = description["classes"]
        assert [r[0] for r in rows[1:]] == [classes[int(v > 0)] for v in z]
        assert set(classes) == {str(v) for v in frame["y"].unique()}
        probability = np.array([float(r[1]) for r in rows[1:]])
        np.testing.assert_allclose(probability, 1 / (1 + np.exp(-z)), atol=1e-6)


def _encode(features, description):
    center, scale = np.array(description["center"]), np.array(description["scale"])
    columns = []
    for name in description["encoding"]["columns"]:
        levels = description["encoding"]["categorical"].get(name)
        if levels:
            if description["encoding"].get("binary_as_one_column") and len(levels) == 2:
                levels = levels[1:]  # a two-level column is one indicator (second level)
            text = features[name].astype(str)
            columns += [(text == level).to_numpy(float) for level in levels]
        else:
            columns.append(features[name].to_numpy(float))
    return (np.column_stack(columns) - center) / scale


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=3),
    st.just([[1e308, -1e308]]),
    st.just({}),
)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    frame["kind"] = rng.choice(["01", "x"], size=40)
    frame["y"] = (frame["a"] + rng.normal(size=40) > 0).astype(int)
    frame.to_csv(folder / "data.csv", index=False)
    code = main(
        [
            "fit",
            str(folder / "data.csv"),
            "--target",
            "y",
            "--alpha",
            "0.05",
            "--out",
            str(folder / "m.json"),
        ]
    )
    assert code == 0
    return folder, json.loads((folder / "m.json").read_text())


def _all_numbers(value) -> bool:
    if isinstance(value, list):
        return all(_all_numbers(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@given(st.data())
def test_tampered_models_never_crash_or_mislead(fitted, capsys, data):
    folder, description = fitted
    tampered = copy.deepcopy(description)
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(sorted(tampered) + ["extra"]))
        action = data.draw(st.sampled_from(["delete", "replace", "zero"]))
        if action == "delete":
            tampered.pop(key, None)
        elif action == "replace":
            tampered[key] = data.draw(_VALUES)
        elif isinstance(tampered.get(key), list) and _all_numbers(tampered[key]):
            tampered[key] = (np.asarray(tampered[key], dtype=float) * 0).tolist()
    path = folder / "tampered.json"
    path.write_text(json.dumps(tampered))
    code, captured = _run(["predict", str(path), str(folder / "data.csv")], capsys)
    if code == 0:
        rows = list(csv.reader(io.StringIO(captured.out)))[1:]
        assert all(np.isfinite(float(r[1])) for r in rows)
        assert {r[0] for r in rows} <= set(tampered["classes"])
