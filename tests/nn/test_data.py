"""shrinkage.nn.data: the IDX reader (files written here from the specification), the
Fashion-MNIST folder and the CSV loader. NumPy only: no torch needed."""

import gzip

import numpy as np
import pytest

from shrinkage.io import TableFormat
from shrinkage.nn.data import load_csv, load_fashion_mnist, read_idx

from .files import idx_bytes, write_csv, write_fashion


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
    few_dims = tmp_path / "few_dims"  # a header announcing more sizes than the file holds
    few_dims.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(ValueError, match="few_dims.*truncated"):
        read_idx(few_dims)


@pytest.mark.parametrize("damage", ["cut", "flipped"])
def test_read_idx_names_a_broken_gzip_file(tmp_path, damage):
    # A cut download raised a bare EOFError, a damaged one zlib.error or BadGzipFile.
    packed = bytearray(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8).reshape(10, 20))))
    if damage == "cut":
        packed = packed[: len(packed) // 2]
    else:
        packed[-6] ^= 0xFF  # the stored CRC no longer matches
    path = tmp_path / "images.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match=r"images\.gz.*truncated or corrupt"):
        read_idx(path)


def test_load_fashion_mnist_refuses_files_that_do_not_fit_together(tmp_path):
    folder = write_fashion(tmp_path / "f", gz=False)
    test_images = folder / "t10k-images-idx3-ubyte"
    # Test images of another size: this crashed in the first evaluation, after training.
    test_images.write_bytes(idx_bytes(np.zeros((20, 4, 4), np.uint8)))
    with pytest.raises(ValueError, match=r"6x6 pixels.*t10k-images-idx3-ubyte.*4x4"):
        load_fashion_mnist(folder, n_train=30)
    test_images.write_bytes(idx_bytes(np.zeros((20, 6, 6), np.uint8)))
    labels = folder / "t10k-labels-idx1-ubyte"
    labels.write_bytes(idx_bytes(np.full(20, -1, np.int8)))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.*non-negative integers"):
        load_fashion_mnist(folder, n_train=30)
    labels.write_bytes(idx_bytes(np.zeros(19, np.uint8)))
    with pytest.raises(ValueError, match="20 images.*19 labels"):
        load_fashion_mnist(folder, n_train=30)


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


def test_load_csv_n_test(tmp_path):
    path = write_csv(tmp_path / "d.csv")  # 60 rows, 3 classes of 20
    data = load_csv(path, "label", n_test=6, seed=0)
    assert data.X_test.shape[0] == 6 and data.X_train.shape[0] == 54
    assert np.bincount(data.y_test).tolist() == [2, 2, 2]  # still stratified
    assert "54 training / 6 test rows" in data.description
    data = load_csv(path, "label", n_test=6, n_train=10, seed=0)
    assert data.X_test.shape[0] == 6 and data.X_train.shape[0] == 10
    # Too few test rows to hold every class: an honest random split, not sklearn's error.
    assert load_csv(path, "label", n_test=2, seed=0).X_test.shape[0] == 2
    with pytest.raises(ValueError, match=r"n_test must lie in \[1, 59\]"):
        load_csv(path, "label", n_test=60)


def write_table(path, target_values, *, sep=",", decimal=".", encoding="utf-8"):
    """Two numeric features (one named with an umlaut) and the target ``y``."""
    rng = np.random.default_rng(0)
    lines = [sep.join(["größe", "b", "y"])]
    for value in target_values:
        a, b = rng.normal(size=2)
        lines.append(
            sep.join(
                [f"{a:.4f}".replace(".", decimal), f"{b:.4f}".replace(".", decimal), str(value)]
            )
        )
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize(
    ("target_values", "message"),
    [
        # A measurement: one class per row, a 6-30-40 network, no warning.
        (
            np.round(np.random.default_rng(1).normal(size=40), 6),
            r"numbers with fractions "
            r"\(e\.g\. .*\), 40 distinct values in 40 rows, 40 of them in a single row: a "
            "continuous target",
        ),
        # Rounded to one decimal: values repeat, but some only once.
        (
            [f"{v:.1f}" for v in np.random.default_rng(2).normal(5, 2, size=40)],
            "a continuous target",
        ),
        # Integers: a row number or an ID.
        (range(40), "40 classes in 40 rows, fewer than 2 rows per class"),
        (["a", "b", "c", "d", "e"] * 2 + [f"id{k}" for k in range(30)], "35 classes in 40 rows"),
    ],
)
def test_load_csv_refuses_a_target_that_is_not_a_class_label(tmp_path, target_values, message):
    path = write_table(tmp_path / "num.csv", target_values)
    with pytest.raises(ValueError, match=r"num\.csv: the target 'y' .*" + message):
        load_csv(path, "y")


def test_load_csv_takes_class_codes_written_as_numbers(tmp_path):
    # Codes repeat: 0.5 / 1.5 (or 1.0 / 2.0) are two classes, not a measurement.
    for codes in (["0.5", "1.5"], ["1.0", "2.0"], ["1", "2", "3", "4"]):
        data = load_csv(write_table(tmp_path / "codes.csv", codes * 10), "y")
        assert data.n_classes == len(codes)
    data = load_csv(
        write_table(tmp_path / "comma.csv", ["0,5", "1,5"] * 10, sep=";", decimal=","),
        "y",
        table_format=TableFormat(sep=";", decimal=","),
    )
    assert data.n_classes == 2


def test_load_csv_reads_a_european_spreadsheet_export(tmp_path):
    labels = ["cat", "dog", "eel"] * 20
    plain = load_csv(write_table(tmp_path / "plain.csv", labels), "y", seed=3)
    export = write_table(tmp_path / "export.csv", labels, sep=";", decimal=",", encoding="cp1252")
    # It ended in a raw "'utf-8' codec can't decode byte 0xf6 in position 2"; now
    # shrinkage.io's message for fit/compare, naming the file and the option.
    with pytest.raises(ValueError, match=r"export\.csv is not utf-8 text.*--encoding cp1252"):
        load_csv(export, "y")
    european = TableFormat(sep=";", decimal=",", encoding="cp1252")
    data = load_csv(export, "y", seed=3, table_format=european)
    np.testing.assert_array_equal(data.X_train, plain.X_train)
    np.testing.assert_array_equal(data.y_test, plain.y_test)
    # The wrong separator or decimal mark: shrinkage.io's messages too.
    with pytest.raises(ValueError, match=r"separated by ';': pass --sep ';'"):
        load_csv(export, "y", table_format=TableFormat(encoding="cp1252"))
    with pytest.raises(ValueError, match=r"decimal commas.*--decimal ','"):
        load_csv(export, "y", table_format=TableFormat(sep=";", encoding="cp1252"))
