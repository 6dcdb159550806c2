"""Data files written from their specifications, shared by the nn tests."""

import gzip

import numpy as np


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


def write_csv(path, n=60):
    rng = np.random.default_rng(0)
    lines = ["a,b,label,c"]
    for i in range(n):
        label = ["cat", "dog", "eel"][i % 3]
        lines.append(f"{rng.normal() + i % 3},{rng.normal() * 100},{label},{rng.normal()}")
    path.write_text("\n".join(lines) + "\n")
    return path
