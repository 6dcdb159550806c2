"""What fuzzing found in the command line (issue 11): right answers or one line
``shrinkage: error: …`` with exit 2, and nothing lost or left behind."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn_versions import l1_logistic

from shrinkage._output import MARKER, exclusive, staged_folder, write_file
from shrinkage.cli import main

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _one_error(capsys, code, expected=None):
    err = capsys.readouterr().err
    assert code == 2, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("shrinkage: error:") and "Traceback" not in err, err
    if expected:
        assert expected in line, line
    return line


@pytest.fixture
def binary_table(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] - 0.5 * X[:, 1] + 0.5 * rng.normal(size=80) > 0).astype(int)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    return tmp_path, frame, y


@pytest.mark.parametrize(
    "labels", [(0, 1), (1, 2), (False, True)], ids=["zero-one", "one-two", "bool"]
)
def test_integer_and_bool_binary_targets(binary_table, capsys, labels):
    folder, frame, y = binary_table
    frame = frame.assign(y=np.where(y == 1, labels[1], labels[0]))
    data = folder / "labels.csv"
    frame.to_csv(data, index=False)
    model = folder / "m.json"
    assert main(["fit", str(data), "--target", "y", "--alpha", "0.01", "--out", str(model)]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), str(data)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["prediction"] for r in rows} <= {str(v) for v in labels}
    # Reference: scikit-learn on the standardized columns, at the same penalty
    # (our alpha on the mean log-loss is C = 1/(alpha·n)).
    X = frame[["a", "b", "c"]].to_numpy()
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    ref = SkLogistic(
        C=1 / (0.01 * len(y)), tol=1e-10, **l1_logistic(), solver="saga", max_iter=10_000
    )
    ref.fit(Z, y)
    expected = np.where(ref.predict(Z) == 1, str(labels[1]), str(labels[0]))
    assert [r["prediction"] for r in rows] == list(expected)
    np.testing.assert_allclose(
        [float(r["probability"]) for r in rows], ref.predict_proba(Z)[:, 1], atol=2e-4
    )


def test_nan_in_npz_target_is_an_error(tmp_path, capsys):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.eye(6), y=np.array([0, 1, np.nan, 1, 0, 1.0]))
    code = main(["fit", str(path), "--out", str(tmp_path / "m.json")])
    _one_error(capsys, code, "NaN")


def test_npz_feature_names_of_the_wrong_length(tmp_path, capsys):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.eye(6), y=np.arange(6.0), feature_names=np.array(["a", "b"]))
    _one_error(capsys, main(["fit", str(path), "--out", str(tmp_path / "m.json")]), "entries")


def test_corrupt_gzip_table(tmp_path, capsys):
    path = tmp_path / "d.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00corrupt" + os.urandom(64))
    _one_error(capsys, main(["fit", str(path), "--target", "y", "--out", str(tmp_path / "m")]))


def test_huge_svmlight_index_is_refused_before_allocation(tmp_path, capsys):
    path = tmp_path / "d.svm"
    path.write_text("1 1:0.5 2000000000:1\n0 3:1\n" * 10)
    start = time.perf_counter()
    _one_error(capsys, main(["fit", str(path), "--out", str(tmp_path / "m")]), "2000000000")
    assert time.perf_counter() - start < 10


def test_max_levels(tmp_path, capsys):
    frame = pd.DataFrame({"id": [f"row{i}" for i in range(300)], "x": np.arange(300.0)})
    frame["y"] = np.arange(300.0) % 7
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    out = str(tmp_path / "m.json")
    code = main(["fit", str(path), "--target", "y", "--out", out, "--max-levels", "100"])
    _one_error(capsys, code, "--max-levels")


@pytest.mark.parametrize(
    "argument", [["--alpha", "nan"], ["--alpha", "-1"], ["--cv", "1"], ["--l1-ratio", "2"]]
)
def test_bad_numbers_are_argument_errors(tmp_path, capsys, argument):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "diabetes", "--out", str(tmp_path / "m.json"), *argument])
    _one_error(capsys, exit_info.value.code)


# -- outputs: never lose anything ------------------------------------------------------------
def test_out_that_holds_the_input_is_refused_even_with_force(tmp_path, capsys):
    data = tmp_path / "data.csv"
    pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40.0) % 5}).to_csv(data, index=False)
    (tmp_path / "notes.txt").write_text("mine")
    before = sorted(os.listdir(tmp_path))
    code = main(["compare", str(data), "--target", "y", "--out", str(tmp_path), "--force"])
    _one_error(capsys, code)
    assert sorted(os.listdir(tmp_path)) == before
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_force_never_replaces_a_folder_shrinkage_did_not_write(tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    code = main(["compare", "--out", str(out), "--force", "--quiet"])
    _one_error(capsys, code, "not a previous shrinkage output")
    assert (out / "thesis.tex").read_text() == "years of work"


def test_force_replaces_a_previous_output(tmp_path):
    out = tmp_path / "report"
    for text in ("first", "second"):
        with staged_folder(out, force=True) as folder:
            (folder / "summary.json").write_text(text)
    assert (out / "summary.json").read_text() == "second"
    assert (out / MARKER).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no .old, .tmp, lock


def test_out_dot_and_odd_targets(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_error(capsys, main(["compare", "--out", ".", "--quiet"]), "current folder")
    (tmp_path / "afile").write_text("x")
    _one_error(capsys, main(["fit", "diabetes", "--out", "afile/m.json"]), "not a folder")
    (tmp_path / "emptydir").mkdir()
    _one_error(capsys, main(["fit", "diabetes", "--out", "emptydir"]), "is a folder")
    assert sorted(os.listdir(tmp_path)) == ["afile", "emptydir"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unreadable_input_and_read_only_output(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n1,2\n3,4\n")
    data.chmod(0)
    _one_error(capsys, main(["fit", str(data), "--target", "y", "--out", str(tmp_path / "m")]))
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    _one_error(capsys, main(["fit", "diabetes", "--out", str(locked / "m.json")]))


def test_outputs_follow_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        write_file(tmp_path / "f.csv", b"x\n", force=False)
        with staged_folder(tmp_path / "rep", force=False) as folder:
            (folder / "a.txt").write_text("a")
    finally:
        os.umask(previous)
    assert (tmp_path / "f.csv").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "rep").stat().st_mode & 0o777 == 0o750


def test_a_second_writer_is_refused(tmp_path, capsys):
    target = tmp_path / "m.json"
    with exclusive(target):
        code = main(["fit", "diabetes", "--alpha", "0.1", "--out", str(target)])
        _one_error(capsys, code, "Another shrinkage run")
    assert not target.exists()


def test_concurrent_fits_to_one_out(tmp_path):
    """Two processes race for one --out without --force: exactly one wins."""
    target = tmp_path / "m.json"
    env = dict(os.environ, PYTHONPATH=SRC)
    command = [sys.executable, "-m", "shrinkage.cli", "fit", "diabetes", "--alpha", "0.1"]
    runs = [
        subprocess.Popen(
            [*command, "--out", str(target)], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    errors = [run.communicate(timeout=300)[1] for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 2], errors
    assert json.loads(target.read_text())["format"] == "shrinkage-model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


_STAGE_AND_WAIT = """
import sys, time
from pathlib import Path
from shrinkage.cli import _install_sigterm
from shrinkage._output import staged_folder
_install_sigterm()
with staged_folder(Path(sys.argv[1]), force=True) as folder:
    (folder / "summary.json").write_text("new")
    print("staged", flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_clean_up_and_keep_the_previous_output(tmp_path, signum):
    out = tmp_path / "rep"
    with staged_folder(out, force=False) as folder:
        (folder / "summary.json").write_text("previous")
    run = subprocess.Popen(
        [sys.executable, "-c", _STAGE_AND_WAIT, str(out)],
        env=dict(os.environ, PYTHONPATH=SRC),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it: a test run started as a shell's background
        # job inherits SIGINT *ignored*, and Python then never raises KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert run.stdout.readline().strip() == "staged"
    run.send_signal(signum)
    run.communicate(timeout=60)
    assert run.returncode != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # no .tmp-, .old-, lock
    assert (out / "summary.json").read_text() == "previous"


# -- models and predictions ------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    frame["kind"] = np.where(rng.random(60) < 0.5, "01", "x,y")  # "01" must stay text
    frame["y"] = frame["a"] * 2 + (frame["kind"] == "01") + 0.1 * rng.normal(size=60)
    data = folder / "train.csv"
    frame.to_csv(data, index=False)
    model = folder / "m.json"
    assert main(["fit", str(data), "--target", "y", "--alpha", "0.01", "--out", str(model)]) == 0
    return folder, frame, json.loads(model.read_text())


def _tampered(description):
    def with_(**changes):
        return {**description, **changes}

    p = len(description["feature_names"])
    deep = []
    for _ in range(5000):
        deep = [deep]
    return {
        "missing coef": {k: v for k, v in description.items() if k != "coef"},
        "missing center": {k: v for k, v in description.items() if k != "center"},
        "version string": with_(format_version="1"),
        "version bool": with_(format_version=True),
        "version future": with_(format_version=99),
        "nan coef": with_(coef=[[float("nan")] * p]),
        "inf coef": with_(coef=[[1e400] * p]),
        "coef string": with_(coef="0.5"),
        "coef two rows": with_(coef=[[0.0] * p, [0.0] * p]),
        "coef short": with_(coef=[[0.0] * (p - 1)]),
        "scale zero": with_(scale=[0.0] * p),
        "scale negative": with_(scale=[-1.0] * p),
        "unknown task": with_(task="ranking"),
        "unknown estimator": with_(estimator="os.system"),
        "names not strings": with_(feature_names=list(range(p))),
        "encoding mismatch": with_(encoding={"columns": ["zz"], "categorical": {}}),
        "deep nesting": with_(params=deep),
        "intercept null": with_(intercept=None),
        "classes on regression": with_(classes=["a", "b"]),
    }


def test_tampered_models_are_one_clear_error(saved_model, capsys):
    folder, frame, description = saved_model
    data = folder / "new.csv"
    frame.drop(columns="y").to_csv(data, index=False)
    for name, tampered in _tampered(description).items():
        path = folder / "tampered.json"
        try:
            path.write_text(json.dumps(tampered))
        except (RecursionError, ValueError):
            path.write_text('{"format": "shrinkage-model", "x": ' + "[" * 5000 + "]" * 5000 + "}")
        code = main(["predict", str(path), str(data)])
        line = _one_error(capsys, code)
        assert "model" in line, (name, line)
    path.write_text('{"format": "shrinkage-model", "coef": NaN}')
    _one_error(capsys, main(["predict", str(path), str(data)]))


def test_predictions_match_the_fit_and_keep_text_levels(saved_model, capsys):
    folder, frame, description = saved_model
    only_01 = frame[frame["kind"] == "01"].drop(columns="y")
    data = folder / "only01.csv"
    only_01.to_csv(data, index=False)
    assert main(["predict", str(folder / "m.json"), str(data)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    # Reference computed here from the saved numbers and the file, by hand.
    # A two-level text column is one indicator, for its second level ("x,y"): 0 here.
    X = np.c_[only_01[["a", "b"]].to_numpy(), np.zeros(len(only_01))]
    levels = description["encoding"]["categorical"]["kind"]
    assert levels == ["01", "x,y"]
    assert description["feature_names"][-1] == "kind=x,y"
    center, scale = np.array(description["center"]), np.array(description["scale"])
    expected = ((X - center) / scale) @ np.array(description["coef"][0]) + description["intercept"][
        0
    ]
    np.testing.assert_allclose([float(r[0]) for r in rows[1:]], expected, rtol=1e-8)


def test_inf_in_new_rows_is_an_error(saved_model, capsys):
    folder, frame, _ = saved_model
    data = folder / "inf.csv"
    frame.drop(columns="y").assign(a=np.inf).to_csv(data, index=False)
    _one_error(capsys, main(["predict", str(folder / "m.json"), str(data)]), "infinite")


def test_labels_with_commas_give_valid_csv(tmp_path, capsys):
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    frame["y"] = np.where(frame["a"] + 0.3 * rng.normal(size=60) > 0, 'yes, "really"', "no")
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "m.json"
    assert main(["fit", str(data), "--target", "y", "--alpha", "0.01", "--out", str(model)]) == 0
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(data), "--out", str(out)]) == 0
    parsed = pd.read_csv(out)
    assert list(parsed.columns) == ["prediction", "probability"]
    assert set(parsed["prediction"]) <= {'yes, "really"', "no"}
    agree = np.mean(parsed["prediction"].to_numpy() == frame["y"].to_numpy())
    assert agree > 0.8
    capsys.readouterr()


def test_force_never_deletes_files_added_to_a_previous_output(tmp_path):
    """The marker lists what the run wrote: a file (or folder) the user put in the
    output folder afterwards makes --force refuse, and nothing is touched."""
    out = tmp_path / "report"
    with staged_folder(out, force=False) as folder:
        (folder / "summary.json").write_text("first")
        (folder / "figures").mkdir()
        (folder / "figures" / "path.png").write_bytes(b"png")
    for added in (out / "notes.txt", out / "figures" / "mine.png"):
        added.write_text("my notes")
        with pytest.raises(ValueError, match="shrinkage did not write"):
            with staged_folder(out, force=True) as folder:
                (folder / "summary.json").write_text("second")
        assert added.read_text() == "my notes"
        assert (out / "summary.json").read_text() == "first"
        added.unlink()
    with staged_folder(out, force=True) as folder:  # only its own files: replaced
        (folder / "summary.json").write_text("second")
    assert (out / "summary.json").read_text() == "second"


def test_force_refuses_an_output_whose_marker_keeps_no_file_list(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / MARKER).write_text('{"written_by": "shrinkage", "kind": "output folder"}\n')
    (out / "summary.json").write_text("old")
    with pytest.raises(ValueError, match="older shrinkage"):
        with staged_folder(out, force=True):
            pass
    assert (out / "summary.json").read_text() == "old"
    (out / "summary.json").unlink()  # only the marker left: nothing to lose
    with staged_folder(out, force=True) as folder:
        (folder / "summary.json").write_text("new")
    assert (out / "summary.json").read_text() == "new"
