"""shrinkage.nn.data: the IDX reader (files written here from the specification), the
Fashion-MNIST folder and the CSV loader. NumPy only: no torch needed."""

import gzip

import numpy as np
import pytest

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
