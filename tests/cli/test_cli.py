"""The command line: every command's help, the jobs, and bad input as one clear line."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from shrinkage.cli import main

COMMANDS = ["compare", "fit", "predict", "path"]


@pytest.fixture
def houses(tmp_path, rng):
    n = 120
    frame = pd.DataFrame(
        {
            "size": rng.normal(100, 20, n),
            "rooms": rng.integers(1, 6, n),
            "city": rng.choice(["a", "b", "c"], n),
        }
    )
    frame["price"] = 3 * frame["size"] + 10 * frame["rooms"] + rng.normal(0, 5, n)
    frame.to_csv(tmp_path / "houses.csv", index=False)
    return tmp_path, frame


@pytest.mark.parametrize("argv", [["--help"]] + [[c, "--help"] for c in COMMANDS])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: shrinkage" in out
    if len(argv) == 2:
        assert "example" in out


def test_python_dash_m_runs_the_command_line():
    """``python -m shrinkage`` is the ``shrinkage`` command: its help, its exit codes."""
    done = subprocess.run([sys.executable, "-m", "shrinkage", "--help"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "usage: shrinkage" in done.stdout and "compare" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "shrinkage", "no-such-command"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def _run_with_ascii_terminal(*args, cwd=None):
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    return subprocess.run([sys.executable, "-m", "shrinkage", *args], capture_output=True,
                          env=env, cwd=cwd)


@pytest.mark.parametrize("command", ["fit", "nn"])
def test_help_on_an_ascii_terminal(command):
    """Help texts with α, λ, × spell them in ASCII on a terminal that cannot show them
    (a Windows code page, PYTHONIOENCODING=ascii): they raised UnicodeEncodeError."""
    done = _run_with_ascii_terminal(command, "--help")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    done.stdout.decode("ascii")  # nothing outside ASCII reached the terminal
    assert b"alpha" in done.stdout or b"lambda" in done.stdout


def test_compare_on_an_ascii_terminal(tmp_path):
    """``compare`` finishes, its terminal summary in ASCII (± as +/-), on a terminal
    that cannot show ±: it wrote the report, then failed with exit code 2."""
    done = _run_with_ascii_terminal("compare", "--out", "report", "--quiet", "--cv", "3",
                                    "--repeats", "2", "--bootstrap", "4", "--subsamples", "4",
                                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"+/-" in done.stdout and (tmp_path / "report" / "report.html").exists()
    done.stdout.decode("ascii")


def test_ascii_spelling_of_what_an_encoding_lacks():
    from shrinkage.cli import _tolerate_narrow_terminals

    _tolerate_narrow_terminals()  # (registers the error handler)
    text = "α ≤ 2 ± 0.1, 3×, café, ∂"
    assert text.encode("ascii", errors="shrinkage-ascii") == b"alpha <= 2 +/- 0.1, 3x, cafe, ?"
    assert text.encode("latin-1", errors="shrinkage-ascii").decode("latin-1") == (
        "alpha <= 2 ± 0.1, 3×, café, ?"  # what latin-1 has (±, ×, é) stays
    )


def test_path_command_on_bundled_data(capsys):
    assert main(["path", "--n-alphas", "12", "--rows", "4"]) == 0
    out = capsys.readouterr().out
    assert "L1 keeps 0..10 of 10 weights" in out  # the path starts at alpha_max: all zero
    assert "L2 keeps 10..10" in out  # ridge never sets a weight exactly to zero


def test_path_command_classification_and_figure(tmp_path, capsys):
    figure = tmp_path / "paths.png"
    assert main(["path", "breast_cancer", "--n-alphas", "8", "--out", str(figure)]) == 0
    assert "loss=logistic" in capsys.readouterr().out
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_command(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["compare", "--out", str(out), "--quiet", "--cv", "3"]) == 0
    printed = capsys.readouterr().out
    assert "weights exactly zero" in printed and "report.html" in printed
    assert (out / "report.html").exists() and (out / "summary.json").exists()
    # A second run refuses to replace the folder, then --force does.
    assert main(["compare", "--out", str(out), "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["compare", "--out", str(out), "--quiet", "--cv", "3", "--force"]) == 0


def test_fit_and_predict_round_trip(houses, capsys):
    folder, frame = houses
    model = folder / "ridge.json"
    argv = ["fit", str(folder / "houses.csv"), "--target", "price", "--penalty", "l2"]
    assert main(argv + ["--alpha", "0.05", "--out", str(model)]) == 0
    saved = json.loads(model.read_text())
    assert saved["format"] == "shrinkage-model" and saved["feature_names"][2] == "city=a"
    new = frame.drop(columns="price").iloc[:10]
    new.to_csv(folder / "new.csv", index=False)
    predictions = folder / "predictions.csv"
    assert main(["predict", str(model), str(folder / "new.csv"), "--out", str(predictions)]) == 0
    ours = pd.read_csv(predictions)["prediction"].to_numpy()
    # Independent reference: scikit-learn's Ridge on the same standardized one-hot design
    # (our α = 0.05 on the mean loss is Ridge's alpha = 0.05·n on the summed loss).
    design = pd.get_dummies(frame.drop(columns="price"), columns=["city"], dtype=float)
    design = design[["size", "rooms", "city=a", "city=b", "city=c"]] if False else design
    X = design.to_numpy()
    center, scale = X.mean(0), X.std(0)
    reference = Ridge(alpha=0.05 * len(frame)).fit((X - center) / scale, frame["price"])
    expected = reference.predict((X[:10] - center) / scale)
    np.testing.assert_allclose(ours, expected, rtol=1e-8)


def test_predict_rejects_wrong_columns(houses, capsys):
    folder, frame = houses
    model = folder / "m.json"
    assert main(["fit", str(folder / "houses.csv"), "--target", "price", "--out", str(model)]) == 0
    frame.drop(columns=["price", "rooms"]).to_csv(folder / "less.csv", index=False)
    frame.assign(extra=1.0).drop(columns="price").to_csv(folder / "more.csv", index=False)
    capsys.readouterr()
    assert main(["predict", str(model), str(folder / "less.csv")]) == 2
    assert "lacks the columns ['rooms']" in capsys.readouterr().err
    assert main(["predict", str(model), str(folder / "more.csv")]) == 2
    assert "does not know: ['extra']" in capsys.readouterr().err
    (folder / "fake.json").write_text('{"hello": 1}')
    assert main(["predict", str(folder / "fake.json"), str(folder / "less.csv")]) == 2
    assert "not a shrinkage model" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, extra, message",
    [
        ("", [], "empty"),
        ("a,b\n1,2\n3,4\n", ["--target", "price"], "not in"),
        ("a,price\n1,5\n2,5\n3,5\n", ["--target", "price"], "constant"),
        ("a,price\n1,1\n2,x\n3,2\n" + "4,3\n" * 20, ["--target", "a"], "numeric"),
        ("a,price\n1,yes\n2,yes\n3,yes\n", ["--target", "price"], "constant"),
    ],
)
def test_bad_data_is_one_clear_line(tmp_path, capsys, content, extra, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    code = main(["fit", str(path), "--out", str(tmp_path / "m.json"), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("shrinkage: error:") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_fit_never_overwrites(houses, capsys):
    folder, _ = houses
    model = folder / "m.json"
    model.write_text("precious")
    assert main(["fit", str(folder / "houses.csv"), "--target", "price", "--out", str(model)]) == 2
    assert model.read_text() == "precious"


def test_console_script_runs(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    result = subprocess.run(
        [sys.executable, "-m", "shrinkage.cli", "path", "--n-alphas", "5", "--rows", "2"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "lasso non-zero" in result.stdout


def test_fit_drops_named_columns_and_predict_ignores_them(houses, capsys):
    folder, frame = houses
    with_id = frame.assign(row_id=[f"r{i}" for i in range(len(frame))])
    with_id.to_csv(folder / "with_id.csv", index=False)
    model = folder / "m.json"
    argv = ["fit", str(folder / "with_id.csv"), "--target", "price", "--drop", "row_id"]
    assert main(argv + ["--out", str(model)]) == 0
    saved = json.loads(model.read_text())
    assert "row_id" not in " ".join(saved["feature_names"])
    # The file to predict may still carry the dropped column.
    with_id.drop(columns="price").iloc[:5].to_csv(folder / "new.csv", index=False)
    frame.drop(columns="price").iloc[:5].to_csv(folder / "new_no_id.csv", index=False)
    capsys.readouterr()
    assert main(["predict", str(model), str(folder / "new.csv")]) == 0
    with_id_out = capsys.readouterr().out
    assert main(["predict", str(model), str(folder / "new_no_id.csv")]) == 0
    assert capsys.readouterr().out == with_id_out
    # A column the table lacks is one clear error.
    assert main(argv[:-1] + ["nope", "--out", str(folder / "m2.json")]) == 2
    assert "--drop names columns" in capsys.readouterr().err


def test_fit_and_predict_on_a_european_export(houses, capsys):
    """--sep/--decimal/--encoding read a spreadsheet's ';', decimal-comma, cp1252 export
    as the same table: the model and its predictions equal those of the plain CSV."""
    folder, frame = houses
    frame = frame.replace({"city": {"a": "Zürich"}})
    frame.to_csv(folder / "plain.csv", index=False)
    frame.to_csv(folder / "export.csv", sep=";", decimal=",", index=False, encoding="cp1252")
    european = ["--sep", ";", "--decimal", ",", "--encoding", "cp1252"]
    for name, extra in (("plain", []), ("export", european)):
        argv = ["fit", str(folder / f"{name}.csv"), "--target", "price", "--alpha", "0.1"]
        assert main(argv + extra + ["--out", str(folder / f"{name}.json")]) == 0
        assert main(["predict", str(folder / f"{name}.json"), str(folder / f"{name}.csv")]
                    + extra + ["--out", str(folder / f"{name}-predictions.csv")]) == 0
    plain, export = (json.loads((folder / f"{n}.json").read_text()) for n in ("plain", "export"))
    assert export["feature_names"] == plain["feature_names"]
    assert "city=Zürich" in export["feature_names"]
    np.testing.assert_allclose(
        pd.read_csv(folder / "export-predictions.csv")["prediction"],
        pd.read_csv(folder / "plain-predictions.csv")["prediction"], rtol=1e-9,
    )
    capsys.readouterr()
    argv = ["fit", str(folder / "export.csv"), "--target", "price", "--alpha", "0.1"]
    assert main(argv + ["--out", str(folder / "refused.json")]) == 2
    assert "--encoding" in capsys.readouterr().err
