"""shrinkage.nn.mlp: the layers of the network, its initializations, pruned hidden units
counted on hand-made weights, bad input."""

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from shrinkage.nn.mlp import build_mlp, hidden_units_pruned  # noqa: E402


def test_layers_and_sizes():
    model = build_mlp(64, 10, hidden=(30, 20), activation="tanh")
    kinds = [type(m) for m in model]
    assert kinds == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]
    shapes = [tuple(m.weight.shape) for m in model if isinstance(m, nn.Linear)]
    assert shapes == [(30, 64), (20, 30), (10, 20)]  # logits last: no final activation


def test_initializations():
    torch.manual_seed(0)
    default = build_mlp(400, 2, hidden=(300,))
    bound = 1 / 400**0.5  # PyTorch's U(±1/sqrt(fan_in))
    assert default[0].weight.abs().max() <= bound
    torch.manual_seed(0)
    normal = build_mlp(400, 2, hidden=(300,), init="normal")
    w = normal[0].weight.detach()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # N(0, 1), 120 000 draws
    assert abs(normal[0].bias.detach().std() - 1) < 0.3


def test_hidden_units_pruned_on_hand_made_weights():
    model = build_mlp(3, 2, hidden=(4,), activation="relu")
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0, 0], [0, 0, 0], [0, 2, 0], [0, 0, 3]]))
        model[2].weight.copy_(torch.tensor([[1.0, 1, 0, 0], [1, 0, 0, 1]]))
    # Unit 1: no input weight. Unit 2: nobody reads it. Units 0 and 3 remain.
    assert hidden_units_pruned(model) == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"activation": "gelu"}, "activation must be one of"),
        ({"init": "xavier"}, "init must be"),
        ({"hidden": ()}, "positive integers"),
        ({"hidden": (4, 0)}, "positive integers"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_mlp(3, 2, **kwargs)
