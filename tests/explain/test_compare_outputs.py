"""``compare``'s files and its refusals: the intercept rows of coefficients.csv are
marked (a feature may be named "(intercept)"), and the messages about ``out`` name the
caller's words, ``out=``/``force=True`` from Python and ``--out``/``--force`` from the
command line, without ever touching a user's file."""

import csv

import numpy as np
import pytest

from shrinkage.datasets import Dataset
from shrinkage.explain import compare

SMALL = dict(progress=False, repeats=1, bootstrap=5, subsamples=5, n_jobs=1)


def _data():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 3))
    y = 2 + 1.5 * X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(80)
    return Dataset(X, y, ["(intercept)", "b", "c"], "y", "regression", "collide", name="c")


def test_a_feature_named_intercept_is_told_apart(tmp_path):
    """Two rows were named "(intercept)" with nothing to tell them apart; the ``kind``
    column does, and the values are those of an independent least-squares fit."""
    data = _data()
    out = tmp_path / "out"
    compare(data, out, **SMALL)
    with open(out / "coefficients.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[-1] == "kind" and list(rows[0])[0] == "feature"
    intercepts = [r for r in rows if r["kind"] == "intercept"]
    features = [r for r in rows if r["kind"] == "feature"]
    assert [r["feature"] for r in intercepts] == ["(intercept)"]
    assert [r["feature"] for r in features] == ["(intercept)", "b", "c"]
    assert rows[0]["kind"] == "intercept"  # still first, as readers expect
    # the unpenalized fit in original units against lstsq on the training rows
    # (the held-out split: train_test_split(test_size=0.25, random_state=0))
    from sklearn.model_selection import train_test_split

    X_tr, _, y_tr, _ = train_test_split(data.X, data.y, test_size=0.25, random_state=0)
    beta = np.linalg.lstsq(np.column_stack([np.ones(len(y_tr)), X_tr]), y_tr, rcond=None)[0]
    assert float(intercepts[0]["none (original units)"]) == pytest.approx(beta[0], rel=1e-8)
    fitted = [float(r["none (original units)"]) for r in features]
    np.testing.assert_allclose(fitted, beta[1:], rtol=1e-8)


def test_csv_without_intercept_writes_no_intercept_row(tmp_path):
    """A Cox model's table (intercepts None): no intercept row, and a feature whose
    name starts with "(intercept)" is kept (lines so starting were dropped)."""
    from shrinkage.explain.coefficients import write_csv

    table = {
        "features": ["(intercept) dose", "age"],
        "methods": ["L1"],
        "standardized": {"L1": [0.5, 0.0]},
        "original": {"L1": [0.25, 0.0]},
        "intercept_original": {"L1": None},
        "selection_frequency": {},
    }
    write_csv(table, tmp_path / "c.csv")
    with open(tmp_path / "c.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["feature"], r["kind"]) for r in rows] == [
        ("(intercept) dose", "feature"),
        ("age", "feature"),
    ]


@pytest.fixture
def targets(tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "x.txt").write_text("keep")
    return mine, folder


def test_python_messages_name_the_keywords(targets, monkeypatch):
    """From Python: out= and force=True, never --out/--force; a file gets one message
    with or without force (force=True gave another, and only after the whole
    analysis), raised before any fitting; nothing is touched."""
    from shrinkage.explain import measure

    def no_fitting(*args, **kwargs):
        raise AssertionError("fitted before refusing the output")

    monkeypatch.setattr(measure, "fit_models", no_fitting)
    mine, folder = targets
    messages = {}
    for out, force in ((mine, False), (mine, True), (folder, False), (folder, True)):
        with pytest.raises(ValueError) as info:
            compare(_data(), out, force=force, **SMALL)
        messages[out, force] = str(info.value)
    for text in messages.values():
        assert "--out" not in text and "--force" not in text
        assert "out=" in text and "force=True" in text
    assert messages[mine, False] == messages[mine, True]
    assert f"out={str(mine)!r} is a file" in messages[mine, True]
    assert mine.read_text() == "keep me"
    assert [p.name for p in folder.iterdir()] == ["x.txt"]


def test_python_message_for_a_previous_report(tmp_path):
    out = tmp_path / "report"
    compare(_data(), out, **SMALL)
    with pytest.raises(ValueError, match=r"already holds a shrinkage report") as info:
        compare(_data(), out, **SMALL)
    assert "force=True" in str(info.value) and "--force" not in str(info.value)


def test_cli_messages_name_the_flags(targets, tmp_path, capsys):
    from shrinkage.cli import main

    mine, _ = targets
    table = tmp_path / "d.csv"
    data = _data()
    np.savetxt(table, np.column_stack([data.X, data.y]), delimiter=",", header="a,b,c,y",
               comments="")  # fmt: skip
    errors = []
    for extra in ([], ["--force"]):
        argv = ["compare", str(table), "--target", "y", "--out", str(mine), "--quiet"]
        assert main(argv + extra) == 2
        errors.append(capsys.readouterr().err)
    assert errors[0] == errors[1]
    assert f"--out {mine} is a file" in errors[0] and "--force" in errors[0]
    assert "force=True" not in errors[0]
    assert mine.read_text() == "keep me"
