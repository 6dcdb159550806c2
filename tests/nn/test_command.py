"""The ``shrinkage nn`` command, run through its own parser (independent of shrinkage.cli):
the folder it writes, its refusals, its errors, its help."""

import pytest

torch = pytest.importorskip("torch")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from shrinkage.nn import command  # noqa: E402

from .files import write_csv, write_fashion  # noqa: E402

# The command writes figures: those tests need matplotlib.
try:
    import matplotlib  # noqa: F401

    HAVE_MATPLOTLIB = True
except ImportError:
    HAVE_MATPLOTLIB = False
needs_matplotlib = pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib is not installed")


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def parse(argv):
    parser = argparse.ArgumentParser(prog="shrinkage")
    command.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["nn", *argv])


TINY = ["--n-train", "120", "--epochs", "2", "--hidden", "8", "--quiet"]


@needs_matplotlib
def test_command_writes_table_and_figures(tmp_path, capsys):
    out = tmp_path / "run"
    args = parse(["--out", str(out), "--lambdas", "1,3", "--seeds", "0,1", *TINY])
    assert args.handler(args) == 0
    names = {p.name for p in out.iterdir()}
    expected_figures = {
        "accuracy_vs_lambda.png",
        "zeros_vs_lambda.png",
        "saturation_vs_lambda.png",
        "weight_histograms.png",
        "training_curves.png",
        "inputs_kept.png",
    }
    assert {"results.md", "results.json"} | expected_figures <= names
    from matplotlib.image import imread

    for name in expected_figures:
        image = imread(out / name)
        assert image.ndim == 3 and min(image.shape[:2]) > 50
        assert (out / name).stat().st_size < 300_000
    results = json.loads((out / "results.json").read_text())
    assert len(results["table"]) == 1 + 5 * 2  # none once, 5 methods x 2 λ
    assert len(results["runs"]) == 2 * 11  # two seeds
    assert results["table"][0]["n_seeds"] == 2
    md = (out / "results.md").read_text()
    assert "shrinkage nn --out" in md and "| prox-l1 | 3 |" in md
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left
    # An existing non-empty folder is refused, then replaced with --force.
    with pytest.raises(ValueError, match="--force"):
        args.handler(args)
    args = parse(["--out", str(out), "--force", "--methods", "none,l2", "--lambdas", "1", *TINY])
    assert args.handler(args) == 0
    assert len(json.loads((out / "results.json").read_text())["table"]) == 2


def test_force_never_replaces_a_folder_shrinkage_did_not_write(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    args = parse(["--out", str(out), "--force", *TINY])
    with pytest.raises(ValueError, match="not a previous shrinkage output"):
        args.handler(args)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "keep me"


def test_the_folder_holding_the_input_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    csv_path = write_csv(tmp_path / "data" / "d.csv")
    argv = ["--out", str(tmp_path / "data"), "--force", "--csv", str(csv_path), "--target", "label"]
    args = parse(argv)
    with pytest.raises(ValueError, match="holds the input d.csv"):
        args.handler(args)
    assert csv_path.exists()


@needs_matplotlib
def test_command_on_idx_folder_and_csv(tmp_path):
    folder = write_fashion(tmp_path / "fashion")
    options = "--n-test 20 --methods none,group-l1 --lambdas 1 --n-train 40 --epochs 2 --hidden 4"
    args = parse(
        ["--out", str(tmp_path / "a"), "--fashion-mnist", str(folder), "--quiet", *options.split()]
    )
    assert args.handler(args) == 0
    assert (tmp_path / "a" / "inputs_kept.png").exists()
    csv_path = write_csv(tmp_path / "d.csv")
    options = "--methods none,prox-l1 --lambdas 1 --epochs 2 --activation relu --optimizer adam"
    args = parse(
        [
            "--out",
            str(tmp_path / "b"),
            "--csv",
            str(csv_path),
            "--target",
            "label",
            "--quiet",
            *options.split(),
        ]
    )
    assert args.handler(args) == 0
    results = json.loads((tmp_path / "b" / "results.json").read_text())
    assert results["table"][0]["saturation"] is None  # relu: nothing saturates
    assert not (tmp_path / "b" / "inputs_kept.png").exists()  # not images


@needs_matplotlib
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--csv", "x.csv"], "--target"),
        (["--target", "y"], "--target only applies"),
        (["--fashion-mnist", "/nonexistent/folder"], "is not a folder"),
        (["--activation", "relu", "--lr", "1e30", "--methods", "none"], "lower the learning rate"),
    ],
)
def test_command_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    code = command.main(["--out", str(tmp_path / "o"), *TINY, *argv])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("shrinkage: error:") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "argv", [["--lambdas", "-1"], ["--lambdas", "0"], ["--epochs", "0"], ["--methods", "dropout"]]
)
def test_bad_arguments_exit_2(tmp_path, capsys, argv):
    with pytest.raises(SystemExit) as info:
        command.main(["--out", str(tmp_path / "o"), *argv])
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit) as info:
        command.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "--fashion-mnist" in out and "weight-decay" in out


@needs_matplotlib
def test_progress_without_tqdm(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    options = "--methods none,l2 --lambdas 1 --n-train 100 --epochs 1 --hidden 4 --seeds 0"
    args = parse(["--out", str(tmp_path / "p"), *options.split()])
    assert args.handler(args) == 0
    err = capsys.readouterr().err
    assert "[1/2] none" in err and "[2/2] l2" in err


def test_command_module_does_not_import_torch():
    code = (
        "import sys, shrinkage.nn.command, shrinkage.nn; "
        "assert 'torch' not in sys.modules and 'matplotlib' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def no_training(monkeypatch):
    """Make any training fail loudly: the refusals below must come before it."""

    def train(*args, **kwargs):
        raise AssertionError("trained before refusing")

    monkeypatch.setattr("shrinkage.nn.experiment.train", train)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--methods", "none,prox-l1", "--lambdas", "1,3", "--histogram-lambda", "2"],
            "--histogram-lambda 2 is not in --lambdas (1, 3); pick one of them",
        ),
        (["--histogram-lambda", "2"], "--histogram-lambda 2 is not in --lambdas (0.3, 1, 3"),
    ],
)
def test_histogram_lambda_outside_the_grid_is_refused_before_training(
    tmp_path, capsys, monkeypatch, argv, message
):
    # It used to run, and the histograms and training curves showed only "none".
    no_training(monkeypatch)
    code = command.main(["--out", str(tmp_path / "o"), *TINY, *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "0,0"], "seed 0 is listed twice"),
        (["--seeds", "3,1,3"], "seed 3 is listed twice"),
        (["--lambdas", "1,1"], "λ = 1 is listed twice"),
        (["--lambdas", "0.5,1,1.0"], "λ = 1 is listed twice"),
        (["--methods", "none,none"], "method 'none' is listed twice"),
        (["--methods", "l2, prox-l1,l2"], "method 'l2' is listed twice"),
    ],
)
def test_repeated_seeds_lambdas_or_methods_are_refused(
    tmp_path, capsys, monkeypatch, argv, message
):
    # A repeated seed is the same run twice: "± 0.000" looked like two independent seeds.
    no_training(monkeypatch)
    with pytest.raises(SystemExit) as info:
        command.main(["--out", str(tmp_path / "o"), *TINY, *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_repeated_hidden_sizes_are_still_allowed():
    assert parse(["--out", "o", "--hidden", "30,30"]).hidden == (30, 30)


def bad_idx_folders(tmp_path):
    import gzip

    import numpy as np

    from .files import idx_bytes

    smaller = write_fashion(tmp_path / "smaller")  # 6x6 training, 4x4 test images
    test_images = np.zeros((20, 4, 4), np.uint8)
    (smaller / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(test_images)))
    truncated = write_fashion(tmp_path / "truncated")
    path = truncated / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-40])  # a download cut short
    return {
        "smaller": (smaller, "6x6 pixels"),
        "truncated": (truncated, "train-images-idx3-ubyte.gz"),
    }


@pytest.mark.parametrize("case", ["smaller", "truncated"])
def test_bad_idx_files_give_one_clear_line_before_training(tmp_path, capsys, monkeypatch, case):
    # They used to end in "unexpected RuntimeError/EOFError ... please report it".
    folder, message = bad_idx_folders(tmp_path)[case]
    no_training(monkeypatch)
    argv = ["--out", str(tmp_path / "o"), "--fashion-mnist", str(folder), "--n-train", "20"]
    code = command.main([*argv, "--epochs", "1", "--seeds", "0", "--methods", "none", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("shrinkage: error:") and message in err
    assert "unexpected" not in err and len(err.strip().splitlines()) == 1


@needs_matplotlib
def test_n_test_applies_to_a_csv(tmp_path):
    # --n-test was silently ignored with --csv (always a 25% test split).
    csv_path = write_csv(tmp_path / "d.csv")  # 60 rows
    argv = ["--out", str(tmp_path / "o"), "--csv", str(csv_path), "--target", "label"]
    args = parse([*argv, "--n-test", "6", "--methods", "none", "--epochs", "1", "--quiet"])
    assert args.handler(args) == 0
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert "54 training / 6 test rows" in results["data"]
    assert "--n-test 6" in results["command"]


def write_numeric_target(path, n=200):
    """Six features and a continuous target ``y``: 200 distinct values in 200 rows."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 6))
    y = X.sum(axis=1) + rng.normal(size=n)
    lines = ["a,b,c,d,e,f,y"] + [
        ",".join(f"{v:.6f}" for v in [*x, t]) for x, t in zip(X, y, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_continuous_target_is_refused_before_training(tmp_path, capsys, monkeypatch):
    # It trained a 6-30-200 network, one class per row ("target 'y' with 200 classes").
    no_training(monkeypatch)
    csv_path = write_numeric_target(tmp_path / "num.csv")
    argv = ["--out", str(tmp_path / "o"), "--csv", str(csv_path), "--target", "y"]
    code = command.main([*argv, *TINY])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("shrinkage: error: ") and len(err.strip().splitlines()) == 1
    assert "num.csv: the target 'y'" in err and "200 distinct values in 200 rows" in err
    assert "a continuous target, but shrinkage nn classifies" in err
    assert not (tmp_path / "o").exists()


def write_european_export(path):
    """``write_csv``'s table as a European spreadsheet saves it: ``;``, decimal commas,
    cp1252 (a column named with an umlaut)."""
    text = write_csv(path).read_text().replace(",", ";").replace(".", ",")
    path.write_bytes(text.replace("a;b;label;c", "größe;b;label;c").encode("cp1252"))
    return path


def test_a_cp1252_csv_gets_the_fit_message_and_the_options(tmp_path, capsys, monkeypatch):
    # It showed "shrinkage: error: 'utf-8' codec can't decode byte 0xf6 in position 2:
    # invalid start byte", and nn had no --encoding, --sep or --decimal.
    csv_path = write_european_export(tmp_path / "export.csv")
    argv = ["--out", str(tmp_path / "o"), "--csv", str(csv_path), "--target", "label", *TINY]
    no_training(monkeypatch)
    assert command.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("shrinkage: error: export.csv is not utf-8 text")
    assert "--encoding cp1252" in err and len(err.strip().splitlines()) == 1
    assert command.main([*argv, "--encoding", "cp1252"]) == 2
    assert "pass --sep ';'" in capsys.readouterr().err
    assert command.main([*argv, "--encoding", "cp1252", "--sep", ";"]) == 2
    assert "pass --decimal ','" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@needs_matplotlib
def test_sep_decimal_and_encoding_read_the_csv(tmp_path):
    csv_path = write_european_export(tmp_path / "export.csv")
    argv = ["--out", str(tmp_path / "o"), "--csv", str(csv_path), "--target", "label"]
    options = ["--sep", ";", "--decimal", ",", "--encoding", "cp1252"]
    args = parse([*argv, *options, "--methods", "none", "--epochs", "1", "--seeds", "0", "--quiet"])
    assert args.handler(args) == 0
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert "45 training / 15 test rows, 3 standardized features" in results["data"]
    assert "--sep ';' --decimal , --encoding cp1252" in results["command"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--encoding", "cp1252"], "--sep, --decimal and --encoding only apply to --csv"),
        (["--sep", ";"], "--sep, --decimal and --encoding only apply to --csv"),
        (["--csv", "d.csv", "--target", "y", "--encoding", "nope"], "Unknown text encoding"),
    ],
)
def test_table_format_options_are_checked_before_training(
    tmp_path, capsys, monkeypatch, argv, message
):
    no_training(monkeypatch)
    assert command.main(["--out", str(tmp_path / "o"), *TINY, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
