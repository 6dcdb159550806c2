"""shrinkage.nn.reports: sparsity counts on hand-made weights, saturation against the
sigmoid / tanh derivatives written out, histories (and their plot)."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")

import numpy as np  # noqa: E402
from torch import nn  # noqa: E402

from shrinkage.nn import (  # noqa: E402
    L1,
    TrainingHistory,
    saturation,
    saturation_by_layer,
    sparsity,
)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_sparsity_counts_zeros_units_and_inputs():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        # Row 1 all zero: unit 1 pruned. Columns 0 and 2 all zero: inputs 0 and 2 unused.
        first = [[0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 0.0]]
        model[0].weight.copy_(torch.tensor(first))
        model[2].weight.copy_(torch.tensor([[1.0, 0.0, 0.0], [2.0, 0.0, 5.0]]))
        model[0].bias.zero_()  # biases are not counted
    report = sparsity(model)
    first, second = report.layers
    assert (first.n_zero, first.n_weights) == (9, 12)
    assert (first.units_pruned, first.n_units) == (1, 3)
    assert (first.inputs_pruned, first.n_inputs) == (2, 4)
    assert (second.n_zero, second.units_pruned, second.inputs_pruned) == (3, 0, 1)
    assert report.n_zero == 12 and report.n_weights == 18
    assert report.zero_fraction == pytest.approx(12 / 18)
    assert report.inputs_pruned == 2
    assert report.to_dict()["layers"][0]["shape"] == [3, 4]
    assert "12/18 (66.7%)" in report.to_markdown()


def test_sparsity_of_grouped_convolution_counts_channels():
    conv = nn.Conv2d(4, 6, 3, groups=2)  # weight (6, 2, 3, 3)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        conv.weight[0].zero_()  # output channel 0
        conv.weight[3:6, 1].zero_()  # input channel 3 (group 1, second input of the group)
    (layer,) = sparsity(nn.Sequential(conv)).layers
    assert (layer.units_pruned, layer.n_units) == (1, 6)
    assert (layer.inputs_pruned, layer.n_inputs) == (1, 4)


def test_sparsity_of_a_penalty_or_tensors():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    with torch.no_grad():
        model[1].weight.zero_()
    penalty = L1(model, 1.0, include=lambda n, p, m: n == "1.weight")
    assert sparsity(penalty).zero_fraction == 1.0
    assert sparsity([model[1].weight]).n_zero == 4
    with pytest.raises(ValueError):
        sparsity([])


def sigmoid_ratio(z):
    s = 1 / (1 + np.exp(-z))
    return 4 * s * (1 - s)  # σ'(z) / σ'(0)


@pytest.mark.parametrize(
    ("activation", "ratio"), [(nn.Sigmoid, sigmoid_ratio), (nn.Tanh, lambda z: 1 - np.tanh(z) ** 2)]
)
def test_saturation_against_the_derivative(activation, ratio):
    z = np.array([0.0, 1.0, 1.9, 2.5, -3.0, 3.7, -6.0, 10.0])
    layer = nn.Linear(1, len(z))
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.copy_(torch.tensor(z))
    model = nn.Sequential(layer, activation())
    x = torch.zeros(5, 1)
    expected = np.mean(ratio(z) < 0.1)
    assert 0 < expected < 1
    assert saturation(model, x) == pytest.approx(expected)
    assert saturation(model, x, threshold=0.5) == pytest.approx(np.mean(ratio(z) < 0.5))


def test_saturation_by_layer_keeps_the_training_mode():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.Tanh())
    model.train()
    by_layer = saturation_by_layer(model, torch.randn(7, 3))
    assert set(by_layer) == {"1", "3"}
    assert model.training
    with pytest.raises(ValueError, match="no nn.Sigmoid or nn.Tanh"):
        saturation(nn.Sequential(nn.Linear(3, 2), nn.ReLU()), torch.randn(2, 3))
    with pytest.raises(ValueError, match="threshold"):
        saturation(model, torch.randn(2, 3), threshold=1.5)


def test_history_records_over_epochs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))
    history = TrainingHistory(model, inputs=torch.randn(16, 3))
    history.record(0, loss=1.0)
    with torch.no_grad():
        model[0].weight[:, 0] = 0.0
    history.record(1, loss=0.5)
    table = history.to_dict()
    assert table["epoch"] == [0, 1] and table["loss"] == [1.0, 0.5]
    assert table["zero_fraction"] == [0.0, 4 / 20]
    assert table["inputs_pruned"] == [0, 1]
    assert len(history) == 2 and 0 <= history["saturation"][1] <= 1
    ax = history.plot(["zero_fraction", "loss"])
    assert len(ax.lines) == 2
