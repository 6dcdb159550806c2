"""``predict`` reads a file as ``fit`` did: the model fitted on a file predicts on that
file, with the in-memory model's predictions; what cannot be predicted is one line
naming the problem and the fix."""

import csv
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from shrinkage.cli import main
from shrinkage.linear_model import ElasticNet

from .errors import one_error_line

ALPHA = 0.05




def _predictions(capsys) -> np.ndarray:
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    return np.array([float(r["prediction"]) for r in rows])


def _in_memory_predictions(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The lasso at ALPHA on the standardized columns, fitted here (not by the CLI)."""
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    return ElasticNet(alpha=ALPHA, l1_ratio=1.0).fit(Z, y).predict(Z)


def _fit_then_predict(path, capsys, *options):
    model = path.parent / "m.json"
    argv = ["fit", str(path), "--target", "y", "--alpha", str(ALPHA), "--out", str(model)]
    assert main([*argv, *options]) == 0, capsys.readouterr().err
    capsys.readouterr()
    code = main(["predict", str(model), str(path), *options])
    assert code == 0, capsys.readouterr().err
    return _predictions(capsys)


@pytest.fixture
def numbers(rng):
    X = rng.normal(size=(60, 3))
    y = X @ [2.0, -1.0, 0.5] + 0.3 * rng.normal(size=60)
    return X, y


def _write(path, header: str, rows, encoding="utf-8", sep=","):
    lines = [header] + [sep.join(repr(float(v)) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)


def _fitted_model(tmp_path, capsys, numbers):
    """``d.csv`` (columns a, b, c and target y) and the model ``fit --alpha 0.1`` saved of it."""
    X, y = numbers
    path = tmp_path / "d.csv"
    _write(path, "a,b,c,y", np.c_[X, y])
    model = tmp_path / "m.json"
    assert main(["fit", str(path), "--target", "y", "--alpha", "0.1", "--out", str(model)]) == 0
    capsys.readouterr()
    return path, model


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv"])
def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path, capsys, numbers, suffix):
    """Notepad's UTF-8 starts with a BOM: the first column is 'y', not '\\ufeffy'."""
    X, y = numbers
    sep = "\t" if suffix == ".tsv" else ","
    path = tmp_path / f"bom{suffix}"
    _write(path, sep.join(["y", "größe", "b", "c"]), np.c_[y, X], "utf-8-sig", sep)
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    predicted = _fit_then_predict(path, capsys)
    np.testing.assert_allclose(predicted, _in_memory_predictions(X, y), rtol=1e-8, atol=1e-9)
    names = json.loads((tmp_path / "m.json").read_text())["feature_names"]
    assert names == ["größe", "b", "c"]


def test_a_header_with_spaces_after_the_commas(tmp_path, capsys, numbers):
    """`a, b, y`: fit strips the names, so predict must find the target ' y' as 'y'."""
    X, y = numbers
    path = tmp_path / "spaces.csv"
    _write(path, "a, b, c, y", np.c_[X, y])
    predicted = _fit_then_predict(path, capsys)
    np.testing.assert_allclose(predicted, _in_memory_predictions(X, y), rtol=1e-8, atol=1e-9)


def test_a_text_level_keeps_its_spelling_under_a_spaced_header(tmp_path, capsys, rng):
    """The text column ' kind' is read for prediction as text by its stripped name: in
    rows without the level 'x', '01' must stay the level '01', not the number 1."""
    n = 60
    kind = np.array(["01", "x", "2"] * (n // 3))
    x = rng.normal(size=n)
    y = x + (kind == "01") * 3.0 + 0.1 * rng.normal(size=n)
    path = tmp_path / "levels.csv"
    pd.DataFrame({"x": x, " kind": kind, " y": y}).to_csv(path, index=False)
    model = tmp_path / "m.json"
    argv = ["fit", str(path), "--target", "y", "--alpha", str(ALPHA), "--out", str(model)]
    assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    keep = kind != "x"
    new = tmp_path / "new.csv"
    pd.DataFrame({"x": x[keep], " kind": kind[keep]}).to_csv(new, index=False)
    assert main(["predict", str(model), str(new)]) == 0, capsys.readouterr().err
    X = np.c_[x, kind == "01", kind == "2", kind == "x"].astype(float)
    expected = _in_memory_predictions(X, y)[keep]
    np.testing.assert_allclose(_predictions(capsys), expected, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("header", ["a, a,b,y", "a,a,b,y"])
def test_names_equal_once_stripped_are_refused_naming_them(tmp_path, capsys, numbers, header):
    X, y = numbers
    path = tmp_path / "dup.csv"
    _write(path, header, np.c_[X, y])
    code = main(["fit", str(path), "--target", "y", "--out", str(tmp_path / "m.json")])
    line = one_error_line(capsys, code)
    assert "2 columns named 'a'" in line and "own name" in line, line
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize("spelling", [("true", "false"), ("TRUE", "FALSE"), ("True", "False")])
def test_boolean_columns_predict_on_the_training_file(tmp_path, capsys, numbers, spelling):
    """pandas reads true/TRUE/True as booleans at fit (levels False/True); predict reads
    the column as text and must map it the same way."""
    X, y = numbers
    flag = X[:, 2] > 0
    path = tmp_path / "flags.csv"
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "flag": np.where(flag, *spelling), "y": y})
    frame.to_csv(path, index=False)
    predicted = _fit_then_predict(path, capsys)
    expected = _in_memory_predictions(np.c_[X[:, :2], flag.astype(float)], y)
    np.testing.assert_allclose(predicted, expected, rtol=1e-8, atol=1e-9)
    # Another spelling of the same booleans in the new file predicts the same.
    frame.assign(flag=np.where(flag, "TRUE", "false")).to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", str(tmp_path / "m.json"), str(tmp_path / "new.csv")]) == 0
    np.testing.assert_allclose(_predictions(capsys), predicted)


def test_float_class_labels_score_as_the_classes(tmp_path, capsys, numbers):
    """A 0/1 target written 0.0/1.0 is classes '0'/'1': the accuracy compares them so."""
    X, y = numbers
    labels = (y > 0).astype(float)
    path = tmp_path / "labels.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": labels}).to_csv(path, index=False)
    assert "1.0" in path.read_text()
    model = tmp_path / "m.json"
    assert main(["fit", str(path), "--target", "y", "--alpha", "0.01", "--out", str(model)]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), str(path)]) == 0
    captured = capsys.readouterr()
    predicted = [r["prediction"] for r in csv.DictReader(io.StringIO(captured.out))]
    expected = np.mean(np.array(predicted) == np.where(labels == 1, "1", "0"))
    assert expected > 0.8
    assert f"accuracy against 'y': {expected:.4f}" in captured.err


def test_a_missing_npz_is_no_such_file(tmp_path, capsys, numbers):
    X, y = numbers
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=y)
    model = tmp_path / "m.json"
    assert main(["fit", str(path), "--alpha", "0.1", "--out", str(model)]) == 0
    capsys.readouterr()
    line = one_error_line(capsys, main(["predict", str(model), str(tmp_path / "nosuch.npz")]))
    assert "No such file" in line and "nosuch.npz" in line and "permission" not in line


@pytest.mark.parametrize("kind", ["csv", "npz"])
def test_no_rows_to_predict_is_refused(tmp_path, capsys, numbers, kind):
    path, model = _fitted_model(tmp_path, capsys, numbers)
    empty = tmp_path / f"empty.{kind}"
    if kind == "csv":
        empty.write_text("a,b,c,y\n")
    else:
        np.savez(empty, X=np.zeros((0, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Mean of empty slice"
        line = one_error_line(capsys, main(["predict", str(model), str(empty)]))
    assert "no rows" in line, line


def test_text_in_a_numeric_column_names_a_fix_predict_has(tmp_path, capsys, numbers):
    path, model = _fitted_model(tmp_path, capsys, numbers)
    frame = pd.read_csv(path).astype({"b": object})
    frame.loc[3, "b"] = "abc"
    frame.to_csv(tmp_path / "new.csv", index=False)
    line = one_error_line(capsys, main(["predict", str(model), str(tmp_path / "new.csv")]))
    assert "'b'" in line and "'abc'" in line and "--drop-missing" not in line, line
    assert "leave those rows out" in line, line


def test_a_wrong_decimal_comma_option_is_refused_not_fitted(tmp_path, capsys, numbers):
    """A '.' file read with --decimal ',' would have every fraction as a category."""
    X, y = numbers
    path = tmp_path / "points.csv"
    _write(path, "a;b;c;y", np.c_[X, y], sep=";")
    model = tmp_path / "m.json"
    argv = ["fit", str(path), "--target", "y", "--sep", ";", "--decimal", ",", "--alpha", "0.1"]
    line = one_error_line(capsys, main([*argv, "--out", str(model)]))
    assert "decimal points" in line and "drop --decimal ','" in line, line
    assert not model.exists()
