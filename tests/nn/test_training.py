"""shrinkage nn: the data readers (IDX files written here, CSV), training, and the command
(run through its own parser, independent of shrinkage.cli)."""

import pytest

torch = pytest.importorskip("torch")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

from shrinkage.nn import command  # noqa: E402
from shrinkage.nn.data import load_csv, load_fashion_mnist, read_idx  # noqa: E402
from shrinkage.nn.training import TrainingDiverged, load_digits_split, train  # noqa: E402

# The command writes figures: those tests need matplotlib; the readers and training do not.
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


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX format written out from its specification."""
    codes = {
        np.dtype(np.uint8): 0x08,
        np.dtype(np.int8): 0x09,
        np.dtype(">i2"): 0x0B,
        np.dtype(">i4"): 0x0C,
        np.dtype(">f4"): 0x0D,
        np.dtype(">f8"): 0x0E,
    }
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = bytes([0, 0, codes[big.dtype], array.ndim])
    dims = b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + dims + big.tobytes()


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gzipped", [False, True])
def test_read_idx(tmp_path, dtype, gzipped):
    rng = np.random.default_rng(0)
    array = (rng.normal(size=(3, 4, 5)) * 50).astype(dtype)
    raw = idx_bytes(array)
    path = tmp_path / ("a.idx.gz" if gzipped else "a.idx")
    path.write_bytes(gzip.compress(raw) if gzipped else raw)
    out = read_idx(path)
    assert out.shape == (3, 4, 5) and out.dtype.kind == np.dtype(dtype).kind
    np.testing.assert_array_equal(out, array)


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(idx_bytes(np.zeros((4, 4), np.uint8))[:-3])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(short)


def write_fashion(folder, n_train=40, n_test=20, gz=True, dotted=False):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n, dtype=np.uint8) % 10
        images = rng.integers(0, 40, size=(n, 6, 6)).astype(np.uint8)
        images[:, 1:5, 1:3] += 20 * labels[:, None, None]  # a learnable signal
        for kind, ndim, array in (("images", 3, images), ("labels", 1, labels)):
            sep = "." if dotted else "-"
            name = f"{prefix}-{kind}{sep}idx{ndim}-ubyte"
            raw = idx_bytes(array)
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
            else:
                (folder / name).write_bytes(raw)
    return folder


@pytest.mark.parametrize(("gz", "dotted"), [(True, False), (False, True)])
def test_load_fashion_mnist(tmp_path, gz, dotted):
    folder = write_fashion(tmp_path / "f", gz=gz, dotted=dotted)
    data = load_fashion_mnist(folder, n_train=30, n_test=None, seed=0)
    assert data.X_train.shape == (30, 36) and data.X_test.shape == (20, 36)
    assert data.X_train.dtype == np.float32 and 0 <= data.X_train.min() <= data.X_train.max() <= 1
    assert data.image_shape == (6, 6) and data.n_classes == 10
    with pytest.raises(ValueError, match="must lie in"):
        load_fashion_mnist(folder, n_train=1000)


def test_load_fashion_mnist_names_the_missing_file(tmp_path):
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*dataset-fashion-mnist"):
        load_fashion_mnist(tmp_path)
    with pytest.raises(ValueError, match="is not a folder"):
        load_fashion_mnist(tmp_path / "nowhere")


def write_csv(path, n=60):
    rng = np.random.default_rng(0)
    lines = ["a,b,label,c"]
    for i in range(n):
        label = ["cat", "dog", "eel"][i % 3]
        lines.append(f"{rng.normal() + i % 3},{rng.normal() * 100},{label},{rng.normal()}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_csv(tmp_path):
    path = write_csv(tmp_path / "d.csv")
    data = load_csv(path, "label", test_fraction=0.25, seed=0)
    assert data.n_features == 3 and data.n_classes == 3
    assert data.X_train.shape[0] == 45 and data.X_test.shape[0] == 15
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-6)  # standardized
    np.testing.assert_allclose(data.X_train.std(axis=0), 1, atol=1e-5)
    with pytest.raises(ValueError, match="no column 'nope'"):
        load_csv(path, "nope")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,label\n1,x\nfoo,y\n3,x\n")
    with pytest.raises(ValueError, match="not a number"):
        load_csv(bad, "label")


def test_train_reports_and_rejects_bad_input():
    data = load_digits_split(200, seed=0)
    run = train(data, "prox-l1", 3.0, hidden=(16,), epochs=3)
    assert 0 <= run.test_accuracy <= 1 and run.sparsity.zero_fraction > 0
    assert run.history["epoch"] == [0, 1, 2, 3] and len(run.history["saturation"]) == 4
    with pytest.raises(ValueError, match="λ must be"):
        train(data, "l2", -1.0)
    with pytest.raises(ValueError, match="method must be"):
        train(data, "dropout", 1.0)
    with pytest.raises(ValueError, match="lr must be"):
        train(data, "l2", 1.0, lr=0.0)


def test_nan_loss_is_a_clear_error():
    data = load_digits_split(100, seed=0)
    with pytest.raises(TrainingDiverged, match="lower the learning rate") as info:
        train(data, "none", hidden=(8,), activation="relu", lr=1e30, epochs=2)
    assert isinstance(info.value, ValueError)


# -- the command -------------------------------------------------------------------------------


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
