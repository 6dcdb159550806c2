"""Figures: real files, axes returned, no show(), Matplotlib imported only to plot."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import make_regression

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from shrinkage import LassoCV, LogisticRegressionCV, plot_paths, regularization_path  # noqa: E402


def test_path_figures_side_by_side(rng, tmp_path):
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    X, y = make_regression(rng, 60, 8)
    lasso = regularization_path(X, y, l1_ratio=1.0, alphas=30)
    ridge = regularization_path(X, y, l1_ratio=0.0, alphas=lasso.alphas)
    axes = plot_paths(lasso, ridge, n_labels=3)
    assert axes.shape == (2,)
    assert len(axes[0].get_lines()) >= 8  # one line per feature (+ the zero line)
    assert "L1" in axes[0].get_title() and "L2" in axes[1].get_title()
    assert len(axes[0].texts) == 3
    target = tmp_path / "paths.png"
    axes[0].figure.savefig(target)
    image = mpimg.imread(target)
    assert image.ndim == 3 and image.shape[0] > 100
    plt.close("all")


def test_cv_curve_marks_minimum_and_one_se(rng):
    import matplotlib.pyplot as plt

    X, y = make_regression(rng, 60, 8)
    curve = LassoCV(cv=3).fit(X, y).cv_curve_
    ax = curve.plot()
    labels = [line.get_label() for line in ax.get_lines()]
    assert any("min" in label for label in labels) and any("1-SE" in label for label in labels)
    x_min = [line.get_xdata()[0] for line in ax.get_lines() if "min" in line.get_label()][0]
    assert x_min == pytest.approx(np.log10(curve.alpha_min))
    plt.close("all")


def test_logistic_cv_curve_uses_C(rng):
    import matplotlib.pyplot as plt
    from conftest import make_classification

    X, y = make_classification(rng, 80, 5)
    ax = LogisticRegressionCV(
        Cs=5, cv=3, l1_ratios=(0.0,), scoring=None, use_legacy_attributes=False
    ).fit(X, y).cv_curve_.plot()
    assert ax.get_xlabel() == "log10(C)"
    plt.close("all")


def test_fitting_does_not_import_matplotlib():
    code = (
        "import sys, numpy as np\n"
        "from shrinkage import LassoCV, RidgeCV\n"
        "X = np.random.default_rng(0).normal(size=(30, 4)); y = X[:, 0]\n"
        "LassoCV(cv=3).fit(X, y); RidgeCV().fit(X, y)\n"
        "assert 'matplotlib' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
