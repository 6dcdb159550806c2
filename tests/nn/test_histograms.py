"""shrinkage.nn.histograms: the exact zeros get their own bar; the figure is written."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")

from matplotlib.image import imread  # noqa: E402
from torch import nn  # noqa: E402

from shrinkage.nn import plot_weight_histogram, plot_weight_histograms  # noqa: E402


def test_weight_histogram_shows_exact_zeros(tmp_path):
    w = torch.tensor([0.0, 0.0, 0.0, 1e-3, 1e-2, 0.5, -2.0, 0.0])
    ax = plot_weight_histogram([w], label="test")
    zero_bar = ax.patches[-1]
    assert zero_bar.get_height() == pytest.approx(0.5)  # 4 of 8 weights are exactly 0
    assert sum(p.get_height() for p in ax.patches[:-1]) == pytest.approx(0.5)
    assert "50% exact zeros" in ax.get_title()
    model = nn.Sequential(nn.Linear(5, 3), nn.Linear(3, 2))
    fig = plot_weight_histograms({"a": model, "b": [w]}, tmp_path / "h.png")
    assert len(fig.axes) == 2
    image = imread(tmp_path / "h.png")
    assert image.ndim == 3 and image.shape[0] > 100
