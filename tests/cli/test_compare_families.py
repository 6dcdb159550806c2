"""``shrinkage compare`` on counts (Poisson) and survival times (Cox), end to end on
small generated data: the summary's numbers against independent computations, bad
input as one clear line, and the notes of the task guess."""

import json

import numpy as np
import pandas as pd
import pytest

from shrinkage.cli import build_parser, main
from shrinkage.commands.compare import _read_compare

FAST = ["--quiet", "--cv", "3", "--repeats", "1", "--bootstrap", "3", "--subsamples", "4"]
FAST += ["--n-jobs", "1"]
METHODS = ["L1", "L2", "elastic net", "none"]


@pytest.fixture
def counts(tmp_path, rng):
    n = 120
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "dose": rng.uniform(0, 5, n),
            "noise": rng.normal(size=n),
            "site": rng.choice(["a", "b", "c"], n),
        }
    )
    mean = np.exp(-0.5 + 0.03 * (frame["age"] - 40) + 0.3 * frame["dose"])
    frame["visits"] = rng.poisson(mean)
    frame.to_csv(tmp_path / "visits.csv", index=False)
    return tmp_path, frame


@pytest.fixture
def survival(tmp_path, rng):
    n = 150
    frame = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(4)})
    hazard = np.exp(0.8 * frame["x0"] - 0.5 * frame["x1"])
    time = rng.exponential(1 / hazard)
    censor = rng.exponential(2.0, n)
    frame["time"] = np.round(np.minimum(time, censor), 3)
    frame["status"] = (time <= censor).astype(int)
    frame.to_csv(tmp_path / "surv.csv", index=False)
    return tmp_path, frame


def _summary(folder):
    return json.loads((folder / "summary.json").read_text())


def _self_contained(page):
    """Figures inlined (paths, CV curves, repeated CV, stability, calibration), no network."""
    assert "http://" not in page and "https://" not in page
    assert page.count("data:image/png;base64,") == 5


def _design(frame, names):
    """The columns the report names, rebuilt from the table (``site=b`` indicators)."""
    columns = []
    for name in names:
        if "=" in name:
            column, level = name.split("=", 1)
            columns.append((frame[column].astype(str) == level).to_numpy(float))
        else:
            columns.append(frame[name].to_numpy(float))
    return np.column_stack(columns)


def test_poisson_compare_by_formula(counts, capsys):
    folder, frame = counts
    out = folder / "report"
    assert (
        main(
            ["compare", str(folder / "visits.csv"), "--target", "visits", "--out", str(out)] + FAST
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "looks like counts" in err and "--task regression" in err
    s = _summary(out)
    assert s["task"] == "poisson" and s["bootstrap"] == 3 and s["repeats"] == 1
    assert {c["a"] for c in s["comparison"]} | {c["b"] for c in s["comparison"]} == set(METHODS)
    test = np.array(s["split"]["test_rows"])
    y = frame["visits"].to_numpy(float)[test]
    for m in METHODS:
        model = s["models"][m]
        names = list(model["coef_original_units"])
        X = _design(frame.iloc[test], names)
        eta = model["intercept_original_units"] + X @ np.array(
            list(model["coef_original_units"].values())
        )
        mu = np.exp(eta)
        # mean Poisson deviance written out: 2(y log(y/μ) − y + μ), y log y = 0 at y = 0
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / mu), 0.0)
        assert model["held_out"]["deviance"] == pytest.approx(np.mean(2 * (ylogy - y + mu)))
        assert model["n_zero"] == sum(v == 0 for v in model["coef"].values())
        cv = model["cv_repeated"]
        assert cv["metric"] == "poisson_deviance" and cv["folds"] == 3 and cv["se"] > 0
        assert {"B", "slope_apparent", "slope_corrected", "intercept_corrected"} <= set(
            model["validation"]
        )
    # the unpenalized maximum-likelihood fit is calibrated on its own rows
    assert s["models"]["none"]["validation"]["slope_apparent"] == pytest.approx(1, abs=1e-4)
    assert set(s["models"]["L1"]["selection_frequency"]) == set(s["coefficients"]["features"])
    assert (out / "coefficients.csv").read_text().splitlines()[1].startswith("(intercept)")
    page = (out / "report.html").read_text()
    assert "counts, Poisson" in page and "within noise" in page
    _self_contained(page)


def test_cox_compare_c_index_by_counting_pairs(survival, capsys):
    folder, frame = survival
    out = folder / "report"
    argv = ["compare", str(folder / "surv.csv"), "--time", "time", "--event", "status"]
    assert main([*argv, "--out", str(out), *FAST]) == 0
    s = _summary(out)
    assert s["task"] == "survival" and s["target"] == "time / status"
    assert s["n_features"] == 4  # time and event are not features
    test = np.array(s["split"]["test_rows"])
    t = frame["time"].to_numpy()[test]
    d = frame["status"].to_numpy()[test] == 1
    for m in METHODS:
        model = s["models"][m]
        assert model["intercept_original_units"] is None
        X = frame[list(model["coef_original_units"])].to_numpy()[test]
        risk = X @ np.array(list(model["coef_original_units"].values()))
        concordant = comparable = 0.0
        for i in np.flatnonzero(d):
            later = (t > t[i]) | ((t == t[i]) & ~d)
            comparable += later.sum()
            concordant += np.sum(risk[i] > risk[later]) + 0.5 * np.sum(risk[i] == risk[later])
        assert model["held_out"]["c_index"] == pytest.approx(concordant / comparable)
        assert model["cv_repeated"]["metric"] == "cox_deviance"
        assert 0 <= model["cv_repeated_c_index"]["mean"] <= 1
        assert {"c_index_corrected", "dxy_corrected", "slope_corrected"} <= set(model["validation"])
    # the signal: x0 raises the hazard, x1 lowers it
    coef = s["models"]["none"]["coef_original_units"]
    assert coef["x0"] > 0 > coef["x1"]
    csv = (out / "coefficients.csv").read_text()
    assert "(intercept)" not in csv and "nan" not in csv
    page = (out / "report.html").read_text()
    assert "survival, Cox" in page and "Kaplan–Meier" in page
    _self_contained(page)
    assert "Harrell's C" in capsys.readouterr().out


@pytest.mark.parametrize(
    "change, extra, message",
    [
        (None, ["--time", "time"], "--time and --event go together"),
        (None, ["--time", "time", "--event", "status", "--target", "x0"], "drop --target"),
        (
            lambda f: f.assign(time=-f["time"]),
            ["--time", "time", "--event", "status"],
            "negative times",
        ),
        (
            lambda f: f.assign(status=f["status"] + 1),
            ["--time", "time", "--event", "status"],
            "recode it to 0/1",
        ),
        (
            lambda f: f.assign(status=f["status"] * 3),
            ["--time", "time", "--event", "status"],
            "must be 0/1",
        ),
        (None, ["--time", "time", "--event", "nope"], "--event column 'nope' is not in"),
        (
            lambda f: f.assign(x3=f["x3"].abs().round(1) + 0.05),
            ["--target", "x3", "--task", "poisson"],
            "non-integer",
        ),
        (
            lambda f: f.assign(x3=f["x3"].round()),
            ["--target", "x3", "--task", "poisson"],
            "negative values",
        ),
    ],
)
def test_bad_input_is_one_clear_line(survival, capsys, change, extra, message):
    folder, frame = survival
    if change is not None:
        change(frame).to_csv(folder / "surv.csv", index=False)
    argv = ["compare", str(folder / "surv.csv"), *extra, "--out", str(folder / "r"), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("shrinkage: error:") and message in err[0]
    assert not (folder / "r").exists()


def _args(*argv):
    return build_parser().parse_args(["compare", *argv])


def test_the_task_guess_is_said_with_its_override(tmp_path, rng, capsys):
    n = 200
    frame = pd.DataFrame({"x": rng.normal(size=n)})
    frame["count"] = rng.poisson(np.exp(0.3 + 0.5 * frame["x"]))
    frame["score"] = rng.integers(25, 350, n)  # integers, no zeros: not counts
    frame["code"] = rng.integers(0, 3, n)  # under-dispersed codes 0/1/2
    frame["real"] = frame["x"] * 2.5
    path = str(tmp_path / "t.csv")
    frame.to_csv(path, index=False)

    def read(*argv):
        data = _read_compare(_args(path, *argv))
        return data.task, capsys.readouterr().err

    task, err = read("--target", "count", "--drop", "score,code,real")
    assert task == "poisson" and "looks like counts" in err and "--task regression" in err
    task, err = read("--target", "count", "--drop", "score,code,real", "--task", "regression")
    assert task == "regression" and err == ""
    task, err = read("--target", "score", "--drop", "count,code,real")
    assert task == "regression" and "no zeros" in err and "--task poisson" in err
    task, err = read("--target", "code", "--drop", "count,score,real")
    assert task == "regression" and "variance below the mean" in err
    assert "--task classification" in err  # io's note on class codes is kept
    task, err = read("--target", "real", "--drop", "count,score,code")
    assert task == "regression" and err == ""  # not integers: nothing to say
    task, err = read("--target", "code", "--drop", "count,score,real", "--task", "poisson")
    assert task == "poisson" and err == ""


def test_bundled_data_keep_their_task(capsys):
    data = _read_compare(_args("diabetes"))
    assert data.task == "regression" and capsys.readouterr().err == ""
