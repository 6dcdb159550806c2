"""validated_fit_input's fast path for clean NumPy input gives what scikit-learn's
validate_data gives (arrays, n_features_in_, feature_names_in_), and every other input
still meets scikit-learn's own checks and messages."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import validate_data

from shrinkage import ElasticNet, Lasso
from shrinkage.linear_model._base import _plain_fit_input, validated_fit_input

rng = np.random.default_rng(0)


class _Subclass(np.ndarray):
    pass


X64 = rng.standard_normal((12, 4))
Y = rng.standard_normal((12, 3))

CASES = [
    (X64, Y[:, 0]),
    (np.asfortranarray(X64), Y[:, 0]),
    (X64.astype(np.float32), Y[:, 0].astype(np.float32)),
    (X64[::2, ::2], Y[::2, 1]),  # non-contiguous views, y strided
    (X64, Y),  # multi-output
    (X64, Y[:, :1]),
    (X64, np.arange(12)),  # integer target
    (X64, np.arange(12, dtype=np.uint8)),
    (sp.csc_matrix(X64), Y[:, 0]),  # sparse: kept as they are
    (sp.csr_array(X64.astype(np.float32)), Y[:, 0]),
]


@pytest.mark.parametrize("multi_output", [True, False])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fast_path_matches_validate_data(case, multi_output):
    X, y = CASES[case]
    options = {"multi_output": multi_output, "y_numeric": True}
    reference = Lasso()
    try:
        X_ref, y_ref = validate_data(reference, X, y, accept_sparse=["csr", "csc", "coo"],
                                     dtype=[np.float64, np.float32], ensure_all_finite=False,
                                     **options)
    except (ValueError, DataConversionWarning):  # 2-D y without multi_output
        assert _plain_fit_input(Lasso(), X, y, **options) is None  # declines
        return
    ours = Lasso()
    ours.feature_names_in_ = np.array(["a", "b", "c", "d"], dtype=object)  # fitted before
    X_out, y_out = validated_fit_input(ours, X, y, **options)
    assert not hasattr(ours, "feature_names_in_")
    assert ours.n_features_in_ == reference.n_features_in_
    for out, ref in ((X_out, X_ref), (y_out, y_ref)):
        assert out.dtype == ref.dtype and out.shape == ref.shape
        assert type(out) is type(ref)
        if sp.issparse(ref):
            np.testing.assert_array_equal(out.toarray(), ref.toarray())
            continue
        assert out.flags.c_contiguous == ref.flags.c_contiguous
        assert np.shares_memory(out, ref) or out is ref or np.array_equal(out, ref)
        np.testing.assert_array_equal(out, ref)
    assert (X_out is X) == (X_ref is X)


@pytest.mark.parametrize(
    "X, y",
    [
        (X64, np.r_[np.nan, Y[1:, 0]]),  # NaN target
        (X64, Y[:5, 0]),  # inconsistent lengths
        (X64[:, :0], Y[:, 0]),  # no feature
        (X64[:0], Y[:0, 0]),  # no sample
        (X64.astype(">f8"), Y[:, 0]),  # byte-swapped: converted by scikit-learn
        (X64.astype(np.float16), Y[:, 0]),
        (X64[:, 0], Y[:, 0]),  # 1-D X
        (X64, Y[:, :0]),  # 2-D y without columns
        (X64.view(_Subclass), Y[:, 0]),  # a subclass (np.memmap, astropy's, ...)
        (X64, np.array(["1"] * 12)),  # text target
    ],
)
def test_other_inputs_take_the_full_checks(X, y):
    assert _plain_fit_input(ElasticNet(), X, y, multi_output=True, y_numeric=True) is None


def test_nan_target_error_is_scikit_learns():
    y = np.r_[np.nan, Y[1:, 0]]
    with pytest.raises(ValueError, match="Input y contains NaN"):
        Lasso().fit(X64, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        Lasso().fit(np.r_[X64[:-1], [[np.nan] * 4]], Y[:, 0])


def test_zero_dimensional_target_gets_scikit_learns_error():
    """A 0-d ``y`` is declined by the fast path and gets scikit-learn's own error,
    not an ``IndexError`` from the shape test."""
    from sklearn.linear_model import Lasso as SkLasso

    X = np.ones((3, 2))
    y = np.array(1.0)
    with pytest.raises((ValueError, TypeError)) as theirs:
        SkLasso().fit(X, y)
    with pytest.raises(type(theirs.value), match="dimension"):
        Lasso().fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e101])
@pytest.mark.parametrize("order", ["C", "F"])
def test_fast_path_still_refuses_bad_values(bad, order):
    from shrinkage.solvers._scan import all_within

    X = np.array(X64, order=order)
    X[3, 2] = bad
    assert not all_within(X, 1e100)
    with pytest.raises(ValueError):
        Lasso(alpha=0.1).fit(X, Y[:, 0])
