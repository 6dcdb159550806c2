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
