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


def test_weight_histogram_of_a_diverged_model(tmp_path):
    # Non-finite weights raised matplotlib's "supplied range ... is not finite".
    w = torch.tensor([0.0, 1e-2, 0.5, -2.0, float("inf"), float("-inf"), float("nan"), 0.0])
    ax = plot_weight_histogram([w], label="diverged")
    assert "25% exact zeros" in ax.get_title() and "3 non-finite" in ax.get_title()
    assert sum(p.get_height() for p in ax.patches[:-1]) == pytest.approx(3 / 8)  # finite ones
    all_bad = torch.full((4,), float("nan"))
    assert "4 non-finite" in plot_weight_histogram([all_bad]).get_title()
    model = nn.Linear(3, 2)
    with torch.no_grad():
        model.weight[0, 0] = float("inf")
    plot_weight_histograms({"diverged": model}, tmp_path / "h.png")
    assert imread(tmp_path / "h.png").ndim == 3


@pytest.mark.parametrize(
    "magnitudes", [[1e-3, 0.05, 0.3], [0.2, 0.5], [1e-8, 1e-5, 1e-2, 10.0], [0.0, 0.0]]
)
def test_weight_histogram_labels_sit_at_their_powers_of_ten(magnitudes):
    # The ticks were at linspace(ceil(lo), floor(hi), 4) labelled with rounded exponents:
    # "10^-2" at -2.33 and -1.67, or four overlapping "10^-1".
    ax = plot_weight_histogram([torch.tensor(magnitudes)])
    ticks, labels = ax.get_xticks()[1:], [t.get_text() for t in ax.get_xticklabels()][1:]
    assert 1 <= len(ticks) <= 5 and len(set(ticks)) == len(ticks)
    for tick, text in zip(ticks, labels, strict=True):
        assert float(tick).is_integer() and text == f"$10^{{{tick:.0f}}}$"
