"""Options of ``fit`` and ``compare``: refused at parse time or with the option that
fixes it (never a library's message about its own parameters), and the α that ``fit``
prints is the α that ``--alpha`` takes."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from shrinkage.cli import main
from shrinkage.linear_model import RidgeCV

from .errors import one_error_line

RIDGE_GRID = np.geomspace(1e-4, 1e4, 50)  # fit's grid for --penalty l2, scikit-learn units




@pytest.fixture
def table(tmp_path, rng):
    X = rng.normal(size=(80, 4)) * [1, 10, 0.1, 3]
    y = X @ [1.0, 0.1, -5.0, 0.0] + rng.normal(size=80)
    path = tmp_path / "d.csv"
    pd.DataFrame(np.c_[X, y], columns=["a", "b", "c", "d", "y"]).to_csv(path, index=False)
    return path, X, y


@pytest.mark.parametrize(
    "option, value, words",
    [
        ("--test-size", "1", "(0, 1)"),
        ("--test-size", "0", "(0, 1)"),
        ("--seed", "-1", "[0, 4294967295]"),
        ("--seed", "4294967296", "[0, 4294967295]"),
        ("--n-jobs", "0", "-1 for one per core"),
        ("--repeats", "0", ">= 1"),
        ("--bootstrap", "0", ">= 1"),
    ],
)
def test_compare_options_are_checked_when_parsed(tmp_path, capsys, option, value, words):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "diabetes", "--out", str(tmp_path / "r"), option, value])
    line = one_error_line(capsys, exit_info.value.code)
    assert f"argument {option}" in line and words in line, line
    assert "parameter" not in line and "Parallel" not in line, line
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("option, value", [("--alpha", "-1"), ("--alpha", "0")])
def test_positive_options_name_their_bound(table, tmp_path, capsys, option, value):
    # (A bound of None broke the message's formatting: argparse then said only
    # "invalid positive number value".)
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(table[0]), "--target", "y", option, value,
              "--out", str(tmp_path / "m.json")])
    line = one_error_line(capsys, exit_info.value.code)
    assert f"argument {option}: '{value}': must be > 0" in line, line


def test_negative_n_jobs_count_cores_as_joblib_does():
    import joblib

    from shrinkage.explain.resample import effective_workers

    assert effective_workers(None) == effective_workers(0) == effective_workers(1) == 1
    assert effective_workers(-1) == joblib.cpu_count()
    assert effective_workers(-2) == max(joblib.cpu_count() - 1, 1)


def test_n_jobs_keeps_negative_counts_of_cores():
    from shrinkage.cli import build_parser

    args = build_parser().parse_args(["compare", "--n-jobs", "-2", "--seed", "4294967295"])
    assert (args.n_jobs, args.seed) == (-2, 2**32 - 1)


def test_elastic_net_without_its_l1_part_names_the_options(table, capsys):
    path, _, _ = table
    argv = ["fit", str(path), "--target", "y", "--out", str(path.parent / "m.json")]
    line = one_error_line(capsys, main([*argv, "--penalty", "elasticnet", "--l1-ratio", "0"]))
    assert "--penalty l2" in line and "--alpha" in line and "alphas=" not in line, line
    # With --alpha there is nothing to choose: it fits.
    assert main([*argv, "--penalty", "elasticnet", "--l1-ratio", "0", "--alpha", "0.1"]) == 0


@pytest.mark.parametrize("penalty, ratio", [("l1", "0.3"), ("l2", "0.5")])
def test_l1_ratio_against_the_penalty_is_refused(table, capsys, penalty, ratio):
    path, _, _ = table
    argv = ["fit", str(path), "--target", "y", "--out", str(path.parent / "m.json")]
    line = one_error_line(capsys, main([*argv, "--penalty", penalty, "--l1-ratio", ratio]))
    assert "--penalty elasticnet" in line and f"--l1-ratio {ratio}" in line, line
    assert main([*argv, "--penalty", penalty, "--l1-ratio", "1" if penalty == "l1" else "0"]) == 0


def _printed_alpha(text: str) -> str:
    return re.search(r"^chosen: alpha=([^ ,]+)", text, re.MULTILINE).group(1)


def test_ridge_prints_and_saves_alpha_in_the_units_of_the_alpha_option(table, capsys):
    """RidgeCV's own alpha_ weighs the summed squared errors; --alpha the mean loss."""
    path, X, y = table
    cv_model, fixed = path.parent / "cv.json", path.parent / "fixed.json"
    argv = ["fit", str(path), "--target", "y", "--penalty", "l2"]
    assert main([*argv, "--out", str(cv_model)]) == 0
    alpha = _printed_alpha(capsys.readouterr().out)
    # Independent: RidgeCV on the standardized columns, its alpha_ divided by n.
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    expected = RidgeCV(alphas=RIDGE_GRID).fit(Z, y).alpha_ / len(y)
    assert float(alpha) == pytest.approx(expected, rel=1e-5)
    saved = json.loads(cv_model.read_text())
    assert saved["alpha_mean_loss"] == pytest.approx(expected, rel=1e-12)
    assert saved["chosen"]["alpha_"] == pytest.approx(expected * len(y), rel=1e-12)
    # Passing the printed α back refits the same model.
    assert main([*argv, "--alpha", alpha, "--out", str(fixed)]) == 0
    refit = json.loads(fixed.read_text())
    np.testing.assert_allclose(refit["coef"], saved["coef"], rtol=1e-5)
    assert refit["alpha_mean_loss"] == pytest.approx(float(alpha))


def test_logistic_prints_the_alpha_that_refits_it(tmp_path, rng, capsys):
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] - X[:, 1] + rng.normal(size=120) > 0).astype(int)
    path = tmp_path / "b.csv"
    pd.DataFrame(np.c_[X, y], columns=["a", "b", "c", "y"]).to_csv(path, index=False)
    argv = ["fit", str(path), "--target", "y", "--penalty", "l2"]
    assert main([*argv, "--out", str(tmp_path / "cv.json")]) == 0
    alpha = _printed_alpha(capsys.readouterr().out)
    saved = json.loads((tmp_path / "cv.json").read_text())
    assert float(alpha) == pytest.approx(1 / (saved["chosen"]["C_"] * len(y)), rel=1e-5)
    assert main([*argv, "--alpha", alpha, "--out", str(tmp_path / "fixed.json")]) == 0
    refit = json.loads((tmp_path / "fixed.json").read_text())
    np.testing.assert_allclose(refit["coef"], saved["coef"], rtol=1e-3)


def test_model_files_without_alpha_mean_loss_still_predict(table, capsys):
    path, _, _ = table
    model = path.parent / "m.json"
    assert main(["fit", str(path), "--target", "y", "--alpha", "0.1", "--out", str(model)]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), str(path)]) == 0
    new = capsys.readouterr().out
    old = json.loads(model.read_text())
    del old["alpha_mean_loss"]  # as files written before the key
    model.write_text(json.dumps(old))
    assert main(["predict", str(model), str(path)]) == 0
    assert capsys.readouterr().out == new


@pytest.mark.parametrize("kind", ["npz", "svm"])
def test_target_for_a_file_that_carries_its_own_is_said_to_be_ignored(tmp_path, rng, capsys, kind):
    from sklearn.datasets import dump_svmlight_file

    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    path = tmp_path / f"d.{kind}"
    if kind == "npz":
        np.savez(path, X=X, y=y)
    else:
        dump_svmlight_file(X, y, str(path))
    argv = ["fit", str(path), "--target", "price", "--alpha", "0.1"]
    assert main([*argv, "--out", str(tmp_path / "m.json")]) == 0
    err = capsys.readouterr().err
    assert "warning: --target price is ignored" in err and path.name in err, err
